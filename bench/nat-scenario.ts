import { cpus } from 'node:os';
import { type Browser, chromium } from '@playwright/test';
import { sha256Hex, siteFile } from '../e2e/bytes.js';
import type { Visitor } from '../e2e/fixtures.js';
import { type BedServer, startBedServer } from '../e2e/nat/bed-server.js';
import { BED_HOMES } from '../e2e/nat/fixtures.js';
import { type HomeVisitor, launchHomeVisitor } from '../e2e/nat/home-visitor.js';
import { removeDir, type ServerProcess, startServerProcess } from '../e2e/server-process.js';
import { seedPage, stats, waitForStored } from '../e2e/swarm.js';
import {
  checkNetbedAvailable,
  createNetbed,
  type Home,
  type Netbed,
  SECOND_SERVER_IP,
  startCoturn,
  type TurnServer,
} from '../testing/netbed/index.js';
import { BIG_ASSET, copySite } from './bench-site.js';
import { median } from './median.js';
import { fetchInPage } from './page-probes.js';
import { rawDataChannelThroughput } from './raw-datachannel.js';
import { type ResultRow, writeResults } from './report.js';
import { writeBarChart } from './svg-chart.js';
import {
  type AssetTransfer,
  measureSwarmVisit,
  peerShare,
  type SwarmVisit,
  timedAssetFetch,
} from './swarm-visit.js';

/**
 * `npm run bench -- nat`: peer to peer across the NAT routers of the test bed (testing/netbed,
 * as e2e/nat uses it) against the same thing on loopback, each figure beside its baseline of
 * the same run. Visitor A seeds, a fresh visitor B (its own Chromium in another home) is
 * measured. Peer paths get no added delay: this kernel has no netem.
 *
 * 1. B's first asset request → first peer chunk, and its page time: full-cone pair vs loopback.
 * 2. B's page time with an unreachable seeder (symmetric pair, no TURN) vs nobody in the swarm.
 * 3. B's share of asset bytes from peers: loopback, full-cone, symmetric, symmetric + TURN.
 * 4. 16 MiB A→B through the page: direct (full-cone srflx) vs TURN relay, unlimited and with
 *    10 Mbit/s `tc tbf` uplinks on every router.
 */

/** B's page loads per case (the table shows the median); throughput is one run per case. */
const VISIT_RUNS = 3;
const UPLINK_MBIT = 10;
/** Each server gets its own HTTP port: a visitor's secure-origin flag names the exact origin. */
const PORTS = { cone: 8201, symAlone: 8202, sym: 8203, turn: 8204 } as const;

/** `peerconnect serve` answers STUN on this UDP port of its host by default. */
const SERVER_STUN_PORT = 3478;
/** A dial to an unreachable peer fails by the agent's connect timeout (8 s) or earlier. */
const DIAL_FAILURE_WAIT_MS = 12_000;

const CONDITIONS = `+0 ms on peer paths (no netem), ${cpus().length} cores`;

/** Everything the scenario starts, stopped in reverse order by `close()`. */
class Resources {
  private readonly closers: (() => Promise<unknown>)[] = [];

  add<T>(thing: T, close: (thing: T) => Promise<unknown>): T {
    this.closers.push(() => close(thing));
    return thing;
  }

  async close(): Promise<void> {
    for (const close of this.closers.splice(0).reverse()) {
      await close().catch((err: unknown) => console.error(`nat bench cleanup: ${err}`));
    }
  }
}

interface Bench {
  bed: Netbed;
  turn: TurnServer;
  site: string;
  browser: Browser;
  /** What the current stage started; closed when the stage ends. */
  res: Resources;
}

/** Runs one stage with its own resources (servers, seeders), closed when it ends. */
async function stage<T>(bench: Bench, run: (bench: Bench) => Promise<T>): Promise<T> {
  const res = new Resources();
  try {
    return await run({ ...bench, res });
  } finally {
    await res.close();
  }
}

/** sha-256 of the big asset as the origin holds it. */
async function bigAssetSha(server: ServerProcess): Promise<string> {
  return sha256Hex(await siteFile(server, BIG_ASSET.path));
}

async function serveInBed(
  bench: Bench,
  port: number,
  options: { host?: string; args?: readonly string[] } = {},
): Promise<BedServer> {
  const siteDir = bench.res.add(await copySite(bench.site), removeDir);
  return bench.res.add(await startBedServer(bench.bed, siteDir, { port, ...options }), (server) =>
    server.stop(),
  );
}

async function serveOnLoopback(bench: Bench): Promise<ServerProcess> {
  const siteDir = bench.res.add(await copySite(bench.site), removeDir);
  return bench.res.add(await startServerProcess(siteDir), (server) => server.stop());
}

function homeVisitor(bench: Bench, home: string, server: BedServer): Promise<HomeVisitor> {
  return launchHomeVisitor(chromium, bench.bed.home(home), { secureOrigins: [server.publicUrl] });
}

/** A visitor in the root namespace (a context of the bench's browser), as bench/run.ts has. */
async function loopbackVisitor(bench: Bench, server: ServerProcess): Promise<Visitor> {
  const context = await bench.browser.newContext({ baseURL: server.url, serviceWorkers: 'allow' });
  return { context, page: await context.newPage(), consoleErrors: [] };
}

/** Seeds the page (and the big asset, when asked) in `visitor`; it stays open until the end. */
async function seeder(visitor: Visitor, withBigAsset: boolean): Promise<Visitor> {
  // seedPage reads only the visitor's context and page.
  await seedPage(visitor as HomeVisitor);
  if (withBigAsset) {
    await fetchInPage(visitor.page, BIG_ASSET.path);
    await waitForStored(visitor.page, [BIG_ASSET.path]);
  }
  return visitor;
}

const close = (visitor: Visitor) =>
  'browser' in visitor ? (visitor as HomeVisitor).browser.close() : visitor.context.close();

/** A fresh visitor B: made, measured (and then `after` runs on it), closed. */
async function visitOnce<T = undefined>(
  make: () => Promise<Visitor>,
  server: ServerProcess,
  url: string,
  after?: (visitor: Visitor) => Promise<T>,
): Promise<{ visit: SwarmVisit; after?: T }> {
  const visitor = await make();
  try {
    const visit = await measureSwarmVisit(visitor, server, url);
    return { visit, after: after ? await after(visitor) : undefined };
  } finally {
    await close(visitor);
  }
}

/** Polls the visitor's stats until a dial failed (or the wait ran out); returns the failures. */
async function waitForDialFailure(visitor: Visitor): Promise<Record<string, number>> {
  const deadline = Date.now() + DIAL_FAILURE_WAIT_MS;
  for (;;) {
    const { dialFailures } = await stats(visitor.page);
    if (Object.values(dialFailures).some((n) => n > 0) || Date.now() > deadline) {
      return { ...dialFailures };
    }
    await visitor.page.waitForTimeout(200);
  }
}

/** Runs `run` with every router's uplink limited to `mbit`; returns what `tc` shows meanwhile. */
async function withUplinks<T>(
  bed: Netbed,
  mbit: number,
  run: () => Promise<T>,
): Promise<{ result: T; qdisc: string }> {
  try {
    for (const home of bed.homes) await bed.limit(home, { uplink: { mbit } });
    const qdisc = await qdiscOf(bed, bed.homes[0]!);
    return { result: await run(), qdisc };
  } finally {
    for (const home of bed.homes) await bed.limit(home, { uplink: null });
  }
}

async function qdiscOf(bed: Netbed, home: Home): Promise<string> {
  const { stdout } = await bed.exec(home.routerNs, ['tc', 'qdisc', 'show', 'dev', 'wan']);
  return stdout.trim().split('\n')[0] ?? '';
}

/** B fetches the big asset through its page (A holds it), checked against the origin's copy. */
async function bigAssetTransfer(
  visitor: Visitor,
  server: ServerProcess,
  expectedSha: string,
): Promise<AssetTransfer> {
  const transfer = await timedAssetFetch(visitor, server, BIG_ASSET.path);
  if (transfer.sha256 !== expectedSha) throw new Error('the 16 MiB asset B got differs');
  return transfer;
}

type WithRaw = AssetTransfer & { rawMbPerSecond: number };

/** After `transfer`, the same pages over a raw data channel of their own (`config`'s ICE). */
function withRawBaseline(
  transfer: (visitor: Visitor) => Promise<AssetTransfer>,
  seeded: Visitor,
  config: RTCConfiguration,
): (visitor: Visitor) => Promise<WithRaw> {
  return async (visitor) => ({
    ...(await transfer(visitor)),
    rawMbPerSecond: await rawDataChannelThroughput(
      seeded.page,
      visitor.page,
      BIG_ASSET.bytes,
      config,
    ),
  });
}

interface Case {
  visits: SwarmVisit[];
  notes: string;
}

function describeVisits(visits: SwarmVisit[]): string {
  const pairs = [...new Set(visits.flatMap((visit) => visit.candidatePairs))];
  const failures: Record<string, number> = {};
  for (const visit of visits) {
    for (const [kind, n] of Object.entries(visit.dialFailures)) {
      if (n > 0) failures[kind] = (failures[kind] ?? 0) + n;
    }
  }
  const failed = Object.entries(failures).map(([kind, n]) => `${kind} ×${n}`);
  return [
    pairs.length > 0 ? `pairs ${pairs.join(', ')}` : 'no peer connection',
    ...(failed.length > 0 ? [`dial failures ${failed.join(', ')}`] : []),
  ].join('; ');
}

/** Loopback pair vs full-cone pair, alternating B's runs; then 16 MiB direct. */
async function reachableCases(bench: Bench) {
  const loopback = await serveOnLoopback(bench);
  const cone = await serveInBed(bench, PORTS.cone);
  const seededLoopback = bench.res.add(
    await seeder(await loopbackVisitor(bench, loopback), true),
    close,
  );
  const seededCone = bench.res.add(
    await seeder(await homeVisitor(bench, 'cone1', cone), true),
    close,
  );
  const bigSha = await bigAssetSha(cone);
  const lo: SwarmVisit[] = [];
  const fc: SwarmVisit[] = [];
  for (let i = 0; i < VISIT_RUNS; i++) {
    lo.push((await visitOnce(() => loopbackVisitor(bench, loopback), loopback, '/')).visit);
    fc.push((await visitOnce(() => homeVisitor(bench, 'cone2', cone), cone, '/')).visit);
  }
  const bigOnLoopback = (visitor: Visitor) => bigAssetTransfer(visitor, loopback, bigSha);
  const onLoopback = await visitOnce(
    () => loopbackVisitor(bench, loopback),
    loopback,
    '/',
    withRawBaseline(bigOnLoopback, seededLoopback, {}),
  );
  const big = (visitor: Visitor) => bigAssetTransfer(visitor, cone, bigSha);
  const stun = { iceServers: [{ urls: `stun:${cone.host}:${SERVER_STUN_PORT}` }] };
  const direct = await visitOnce(
    () => homeVisitor(bench, 'cone2', cone),
    cone,
    '/',
    withRawBaseline(big, seededCone, stun),
  );
  const { result: directLimited, qdisc } = await withUplinks(bench.bed, UPLINK_MBIT, () =>
    visitOnce(() => homeVisitor(bench, 'cone2', cone), cone, '/', big),
  );
  return {
    loopback: { visits: lo, notes: 'two contexts of one Chromium, loopback serve' } as Case,
    fullCone: { visits: fc, notes: describeVisits(fc) } as Case,
    onLoopback: { transfer: onLoopback.after!, notes: 'loopback, no ICE servers' },
    direct: { transfer: direct.after!, notes: describeVisits([direct.visit]) },
    directLimited: { transfer: directLimited.after!, notes: describeVisits([directLimited.visit]) },
    qdisc,
  };
}

/** Symmetric pair without TURN (an unreachable seeder) vs B alone, alternating. */
async function unreachableCases(bench: Bench) {
  // Two servers at once: the alone one on the second public address (its own STUN port).
  const alone = await serveInBed(bench, PORTS.symAlone, { host: SECOND_SERVER_IP });
  const sym = await serveInBed(bench, PORTS.sym);
  bench.res.add(await seeder(await homeVisitor(bench, 'sym1', sym), false), close);
  const lone: SwarmVisit[] = [];
  const blocked: SwarmVisit[] = [];
  for (let i = 0; i < VISIT_RUNS; i++) {
    lone.push((await visitOnce(() => homeVisitor(bench, 'sym2', alone), alone, '/')).visit);
    // The last B stays until its dial to A has failed, to tell how.
    const last = i === VISIT_RUNS - 1;
    const run = await visitOnce(
      () => homeVisitor(bench, 'sym2', sym),
      sym,
      '/',
      last ? waitForDialFailure : undefined,
    );
    blocked.push(run.after ? { ...run.visit, dialFailures: run.after } : run.visit);
  }
  return {
    alone: { visits: lone, notes: 'B alone in the swarm (its own server)' } as Case,
    unreachable: { visits: blocked, notes: describeVisits(blocked) } as Case,
  };
}

/** Symmetric pair with coturn credentials from the server; then 16 MiB over the relay. */
async function relayCases(bench: Bench) {
  const server = await serveInBed(bench, PORTS.turn, {
    args: ['--turn-secret', bench.turn.secret, '--turn-url', bench.turn.turnUrl],
  });
  const seeded = bench.res.add(await seeder(await homeVisitor(bench, 'sym1', server), true), close);
  const bigSha = await bigAssetSha(server);
  const visits: SwarmVisit[] = [];
  for (let i = 0; i < VISIT_RUNS; i++) {
    visits.push((await visitOnce(() => homeVisitor(bench, 'sym2', server), server, '/')).visit);
  }
  const big = (visitor: Visitor) => bigAssetTransfer(visitor, server, bigSha);
  const relayOnly: RTCConfiguration = {
    iceServers: [{ urls: bench.turn.turnUrl, ...bench.turn.credentials('bench-raw') }],
    iceTransportPolicy: 'relay',
  };
  const relay = await visitOnce(
    () => homeVisitor(bench, 'sym2', server),
    server,
    '/',
    withRawBaseline(big, seeded, relayOnly),
  );
  const { result: relayLimited } = await withUplinks(bench.bed, UPLINK_MBIT, () =>
    visitOnce(() => homeVisitor(bench, 'sym2', server), server, '/', big),
  );
  return {
    turn: { visits, notes: describeVisits(visits) } as Case,
    relay: { transfer: relay.after!, notes: describeVisits([relay.visit]) },
    relayLimited: { transfer: relayLimited.after!, notes: describeVisits([relayLimited.visit]) },
  };
}

const note = (text: string) => `${CONDITIONS}; ${text}`;
const pct = (share: number) => Math.round(share * 1000) / 10;
const mbs = (value: number) => Math.round(value * 10) / 10;

function timeRow(
  scenario: string,
  variant: string,
  c: Case,
  pick: (visit: SwarmVisit) => number | null,
  baseline?: number,
): ResultRow {
  const runs = c.visits.map(pick).filter((ms): ms is number => ms !== null);
  const value = median(runs);
  return {
    scenario,
    variant,
    value,
    unit: 'ms',
    runs,
    ...(baseline === undefined ? {} : { ratioToBaseline: value / baseline }),
    note: note(
      runs.length < c.visits.length
        ? `${c.visits.length - runs.length} of ${c.visits.length} runs had no peer chunk; ${c.notes}`
        : c.notes,
    ),
  };
}

function shareRow(variant: string, c: Case, baseline?: number): ResultRow {
  const shares = c.visits.map((visit) => pct(peerShare(visit)));
  const value = median(shares);
  return {
    scenario: "B's asset bytes from peers",
    variant,
    value,
    unit: '%',
    runs: shares,
    originAssetBytes: median(c.visits.map((visit) => visit.originCounterBytes)),
    ...(baseline === undefined ? {} : { ratioToBaseline: value / baseline }),
    note: note(c.notes),
  };
}

function throughputRow(
  variant: string,
  run: { transfer: AssetTransfer; notes: string },
  extra: string,
  baseline?: number,
): ResultRow {
  const value = mbs(run.transfer.mbPerSecond);
  return {
    scenario: '16 MiB A→B through the page',
    variant,
    value,
    unit: 'MB/s',
    runs: [value],
    originAssetBytes: run.transfer.originCounterBytes,
    ...(baseline === undefined ? {} : { ratioToBaseline: value / baseline }),
    note: note(
      `${extra}${(run.transfer.peerBytes / 2 ** 20).toFixed(1)} MiB from the peer; ${run.notes}`,
    ),
  };
}

/** The same pages over one raw data channel of their own: the ceiling of that path. */
function rawRow(variant: string, transfer: WithRaw, baseline?: number): ResultRow {
  const value = mbs(transfer.rawMbPerSecond);
  return {
    scenario: '16 MiB A→B, raw RTCDataChannel',
    variant,
    value,
    unit: 'MB/s',
    runs: [value],
    ...(baseline === undefined ? {} : { ratioToBaseline: value / baseline }),
    note: note(
      `64 KiB messages, the agent's send-queue marks; the page path got ${(
        (transfer.mbPerSecond / transfer.rawMbPerSecond) * 100
      ).toFixed(0)} % of it`,
    ),
  };
}

function rowsOf(
  reachable: Awaited<ReturnType<typeof reachableCases>>,
  unreachable: Awaited<ReturnType<typeof unreachableCases>>,
  relay: Awaited<ReturnType<typeof relayCases>>,
): ResultRow[] {
  const firstChunk = (visit: SwarmVisit) => visit.firstPeerChunkMs;
  const page = (visit: SwarmVisit) => visit.pageMs;
  const firstScenario = 'B: first asset request → first peer chunk';
  const loFirst = median(reachable.loopback.visits.map(firstChunk).filter((ms) => ms !== null));
  const loPage = median(reachable.loopback.visits.map(page));
  const alonePage = median(unreachable.alone.visits.map(page));
  const loShare = median(reachable.loopback.visits.map((visit) => pct(peerShare(visit))));
  const direct = mbs(reachable.direct.transfer.mbPerSecond);
  const rawDirect = mbs(reachable.direct.transfer.rawMbPerSecond);
  const directLimited = mbs(reachable.directLimited.transfer.mbPerSecond);
  const limit = `${UPLINK_MBIT} Mbit/s = ${UPLINK_MBIT / 8} MB/s, router wan: ${reachable.qdisc}; `;
  return [
    timeRow(firstScenario, 'loopback (baseline)', reachable.loopback, firstChunk),
    timeRow(
      firstScenario,
      'full-cone NAT ↔ full-cone NAT',
      reachable.fullCone,
      firstChunk,
      loFirst,
    ),
    timeRow('B: all images decoded', 'loopback (baseline)', reachable.loopback, page),
    timeRow('B: all images decoded', 'full-cone NAT pair', reachable.fullCone, page, loPage),
    timeRow(
      'B: all images decoded, symmetric NATs',
      'nobody in the swarm (baseline)',
      unreachable.alone,
      page,
    ),
    timeRow(
      'B: all images decoded, symmetric NATs',
      'unreachable seeder (no TURN)',
      unreachable.unreachable,
      page,
      alonePage,
    ),
    timeRow(
      'B: all images decoded, symmetric NATs',
      'seeder over TURN (coturn)',
      relay.turn,
      page,
      alonePage,
    ),
    shareRow('loopback (baseline)', reachable.loopback),
    shareRow('full-cone NAT pair', reachable.fullCone, loShare),
    shareRow('symmetric NAT pair, no TURN', unreachable.unreachable, loShare),
    shareRow('symmetric NAT pair + TURN', relay.turn, loShare),
    throughputRow('loopback (reference)', reachable.onLoopback, ''),
    throughputRow('direct, full-cone srflx (baseline)', reachable.direct, ''),
    throughputRow('TURN relay (coturn)', relay.relay, '', direct),
    rawRow('loopback (reference)', reachable.onLoopback.transfer),
    rawRow('direct, full-cone srflx (baseline)', reachable.direct.transfer),
    rawRow('TURN relay only (coturn)', relay.relay.transfer, rawDirect),
    throughputRow(
      `${UPLINK_MBIT} Mbit/s uplinks: direct (baseline)`,
      reachable.directLimited,
      limit,
    ),
    throughputRow(
      `${UPLINK_MBIT} Mbit/s uplinks: TURN relay`,
      relay.relayLimited,
      limit,
      directLimited,
    ),
  ];
}

async function writeChart(rows: ResultRow[]): Promise<string> {
  const bars = rows
    .filter((row) => row.ratioToBaseline !== undefined)
    .map((row) => ({
      label: `${row.scenario}: ${row.variant}`,
      value: row.ratioToBaseline!,
      text: `${(row.ratioToBaseline! * 100).toFixed(0)} %`,
    }));
  return writeBarChart(
    'nat',
    'PeerConnect across NAT routers: each figure vs its baseline of the same run',
    bars,
    `${CONDITIONS}; medians of ${VISIT_RUNS} runs (throughput: 1 run); dashed: the baseline (100 %); bench/results/nat.json`,
    1,
  );
}

/** The scenario: [] (with a printed reason) where no test bed can be built. */
export async function natRows(browser: Browser, site: string): Promise<ResultRow[]> {
  const availability =
    process.env.PEERCONNECT_NETBED === '0'
      ? { ok: false as const, reason: 'PEERCONNECT_NETBED=0' }
      : await checkNetbedAvailable();
  if (!availability.ok) {
    console.log(`nat: skipped, no network-namespace test bed here: ${availability.reason}`);
    return [];
  }
  const res = new Resources();
  try {
    const bed = res.add(await createNetbed({ homes: BED_HOMES }), (b) => b.destroy());
    const turn = res.add(await startCoturn(bed), (t) => t.stop());
    const bench: Bench = { bed, turn, site, browser, res };
    const reachable = await stage(bench, reachableCases);
    const unreachable = await stage(bench, unreachableCases);
    const relay = await stage(bench, relayCases);
    const rows = rowsOf(reachable, unreachable, relay);
    console.log(`nat: ${await writeResults(rows, 'nat')}, ${await writeChart(rows)}`);
    return rows;
  } finally {
    await res.close();
  }
}
