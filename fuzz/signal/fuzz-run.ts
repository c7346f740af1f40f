import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { contentIds } from './frames.js';
import type { FuzzConfig } from './fuzz-config.js';
import { startObserver } from './observer.js';
import type { ObserverReport } from './observer-protocol.js';
import { Pacer } from './pacer.js';
import { Prng } from './prng.js';
import { handshake, raw } from './raw-scenarios.js';
import { RunStats, type ScenarioTally } from './run-stats.js';
import { SCENARIOS, type Scenario } from './scenarios.js';
import {
  type LoopProbe,
  type ServerChild,
  type ServerExit,
  startServerChild,
} from './server-child.js';
import { readMetrics, STATE_GAUGES } from './server-metrics.js';
import { Session, Shared } from './session.js';

/**
 * One fuzz run: the server in its child process, the observer beside it, `concurrency` sessions
 * drawn from the seed until the frame budget is spent, then the checks: the server stayed up,
 * healthz stayed fast, the well-behaved pair kept working, nothing the server said broke the
 * protocol, and its state and memory went back to what they were before.
 */

const ALL_SCENARIOS = { ...SCENARIOS, raw, handshake } satisfies Record<string, Scenario>;
type ScenarioName = keyof typeof ALL_SCENARIOS;
/** How often each kind of session is drawn. */
const WEIGHTS: Record<ScenarioName, number> = {
  garbage: 45,
  outOfOrder: 10,
  hoard: 2,
  toggle: 4,
  findFlood: 2,
  offerFlood: 4,
  victim: 2,
  unknownPeer: 5,
  rateFlood: 1,
  churn: 12,
  relayPair: 5,
  raw: 14,
  handshake: 4,
};
/** Content ids that many fuzz sockets announce and ask for. */
const HOT_IDS = 64;
/** Stream index of the run's shared draws (sessions use 0, 1, 2, ...). */
const SHARED_STREAM = 0x7fff_fff0;
/** Source addresses of the observer, apart from every fuzz session's. */
const HEALTH_ADDRESS = '127.0.0.5';
const WATCH_ADDRESSES = ['127.0.0.2', '127.0.0.3'] as const;
/** The watcher pair: what must be left once every fuzz socket is gone. */
const STATE_AFTER = { connections: 2, swarms: 1, announcedIds: 1 } as const;
/** Frames the pacer lets go at once. */
const PACER_BURST = 200;
/** A scenario still running this long after its deadline is left behind. */
const SESSION_GRACE_MS = 2_000;
const DRAIN_TIMEOUT_MS = 15_000;
const DRAIN_POLL_MS = 250;
const SAMPLE_MS = 1_000;
const PROGRESS_MS = 5_000;
const GC_WAIT_MS = 1_000;
const MB = 1024 * 1024;

export interface MemoryReport {
  /** RSS before any fuzz frame (what RSS is judged against)... */
  readonly baselineMb: number;
  /** ...and after the warm-up. */
  readonly warmMb: number;
  readonly peakMb: number;
  readonly afterMb: number;
  readonly slackMb: number;
  /** V8's live heap after full GCs, after the warm-up and at the end: a leak shows here first. */
  readonly baselineHeapMb: number | undefined;
  readonly afterHeapMb: number | undefined;
  /** How long after the fuzz ended RSS came within the slack; undefined if it did not. */
  readonly settledInMs: number | undefined;
  /** RSS once a second through the run. */
  readonly samples: readonly {
    readonly s: number;
    readonly rssMb: number;
    readonly frames: number;
  }[];
}

export interface FuzzReport {
  readonly seed: number;
  readonly config: Omit<FuzzConfig, 'seed'>;
  readonly startedAt: string;
  readonly fuzzMs: number;
  readonly totalMs: number;
  readonly frames: { readonly total: number; readonly byKind: RunStats['frames'] };
  readonly sessions: number;
  readonly scenarios: Record<string, ScenarioTally>;
  readonly received: Record<string, number>;
  readonly serverErrors: Record<string, number>;
  readonly violations: { readonly count: number; readonly first: readonly string[] };
  readonly knownIssues: Record<string, number>;
  readonly fuzzerErrors: readonly string[];
  readonly observer: ObserverReport | undefined;
  readonly memory: MemoryReport | undefined;
  readonly stateAfter: Record<string, number | undefined>;
  /** The server's event loop during the fuzz, as it saw it (server-probe.ts). */
  readonly serverLoop: LoopProbe | undefined;
  /** CPU seconds during the fuzz: the server's and this process's, against the wall clock. */
  readonly cpu:
    | { readonly server: number; readonly fuzzer: number; readonly wall: number }
    | undefined;
  readonly serverExit: ServerExit;
  readonly serverLogTail: string;
  /** Empty when the run passed. */
  readonly failures: readonly string[];
}

export async function runFuzz(
  config: FuzzConfig,
  log: (line: string) => void = () => {},
): Promise<FuzzReport> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const { seed, ...rest } = config;
  const stats = new RunStats(config.frames);
  const fuzzerErrors: string[] = [];
  const server = await startServerChild(config.server);
  log(`fuzz: seed ${seed}, server ${server.origin} (pid ${server.pid})`);
  const observer = await startObserver({
    origin: server.origin,
    healthAddress: HEALTH_ADDRESS,
    watchAddresses: WATCH_ADDRESSES,
    // Not from the seed: no fuzz frame can name the watcher's content.
    watchContent: randomBytes(8).toString('hex'),
    healthIntervalMs: config.healthIntervalMs,
    healthLimitMs: config.healthLimitMs,
    watchIntervalMs: config.watchIntervalMs,
    watchLimitMs: config.watchLimitMs,
    watchTimeoutMs: config.watchTimeoutMs,
  }).catch(async (err: unknown) => {
    await server.stop();
    throw err;
  });

  let observed: ObserverReport | undefined;
  let memory: MemoryReport | undefined;
  let stateAfter: Record<string, number | undefined> = {};
  let fuzzMs = 0;
  let serverLoop: LoopProbe | undefined;
  let cpu: FuzzReport['cpu'];
  try {
    const cold = await collected(server);
    const samples: { s: number; rssMb: number; frames: number }[] = [];
    const fuzzStart = performance.now();
    const serverCpuStart = server.cpuSeconds() ?? 0;
    const fuzzerCpuStart = process.cpuUsage();
    const sampler = setInterval(() => {
      const rss = server.rssBytes();
      if (rss !== undefined) {
        samples.push({
          s: Math.round((performance.now() - fuzzStart) / 1000),
          rssMb: rss / MB,
          frames: stats.totalFrames,
        });
      }
    }, SAMPLE_MS);
    const progress = setInterval(() => {
      const s = (performance.now() - fuzzStart) / 1000;
      log(
        `fuzz: ${stats.totalFrames} frames in ${s.toFixed(0)} s (${(stats.totalFrames / s).toFixed(0)}/s), ` +
          `server RSS ${((server.rssBytes() ?? 0) / MB).toFixed(0)} MB`,
      );
    }, PROGRESS_MS);

    const root = new Prng(seed);
    const shared = new Shared(
      server.origin,
      contentIds(root.fork(SHARED_STREAM), HOT_IDS),
      observer.watchedPeer,
    );
    const pacer = new Pacer(config.framesPerSecond, PACER_BURST);
    let nextIndex = 0;
    const worker = async () => {
      while (stats.budgetLeft && !server.exit()) {
        const index = nextIndex++;
        const prng = root.fork(index);
        const name = prng.weighted(WEIGHTS);
        const session = new Session(index, name, prng, shared, stats, pacer, config.sessionMaxMs);
        await runSession(session, ALL_SCENARIOS[name], config.sessionMaxMs, (err) => {
          if (!server.exit()) fuzzerErrors.push(`${name} #${index}: ${errorText(err)}`);
        });
      }
    };
    const phase = async (untilFrames: number) => {
      stats.target = untilFrames;
      await Promise.race([
        Promise.all(Array.from({ length: config.concurrency }, worker)),
        server.exited,
      ]);
    };
    // RSS is judged against the cold baseline (freed pages go back within seconds of the GCs);
    // the live heap against one taken after a warm-up, since compiled code, feedback and buffer
    // pools grow once and are not a leak, while what the rest of the run adds on top would be.
    await phase(config.warmupFrames);
    let warm = cold;
    if (!server.exit()) {
      await drained(server.origin);
      warm = await collected(server);
      log(
        `fuzz: warmed up; server live heap ${warm.heapMb?.toFixed(1)} MB, RSS ${(warm.rss / MB).toFixed(1)} MB`,
      );
    }
    await phase(config.frames);
    fuzzMs = performance.now() - fuzzStart;
    clearInterval(progress);
    clearInterval(sampler);
    const fuzzerCpu = process.cpuUsage(fuzzerCpuStart);
    cpu = {
      server: (server.cpuSeconds() ?? 0) - serverCpuStart,
      fuzzer: (fuzzerCpu.user + fuzzerCpu.system) / 1e6,
      wall: fuzzMs / 1000,
    };
    serverLoop = await server.probe();
    log(
      `fuzz: ${stats.totalFrames} frames sent in ${(fuzzMs / 1000).toFixed(1)} s; checking the aftermath`,
    );

    if (!server.exit()) {
      stateAfter = await drained(server.origin);
      const settled = await settle(server, cold.rss + config.memorySlackMb * MB, config.settleMs);
      memory = {
        baselineMb: cold.rss / MB,
        warmMb: warm.rss / MB,
        peakMb: server.peakRssBytes / MB,
        afterMb: settled.rss / MB,
        slackMb: config.memorySlackMb,
        baselineHeapMb: warm.heapMb,
        afterHeapMb: settled.heapMb,
        settledInMs: settled.inMs,
        samples,
      };
    }
    observed = await observer.stop().catch(() => undefined);
    // What the pair could not read is judged like what any fuzz socket could not.
    for (const what of observed?.watch.invalidMessages ?? []) stats.violation(`watcher: ${what}`);
  } finally {
    observer.kill();
  }
  const running = !server.exit();
  const serverExit = await server.stop();

  const report = {
    seed,
    config: rest,
    startedAt,
    fuzzMs,
    totalMs: performance.now() - started,
    frames: { total: stats.totalFrames, byKind: stats.frames },
    sessions: Object.values(stats.scenarios).reduce((n, t) => n + t.sessions, 0),
    scenarios: stats.scenarios,
    received: stats.received,
    serverErrors: stats.serverErrors,
    violations: { count: stats.violationCount, first: stats.violations },
    knownIssues: stats.knownIssues,
    fuzzerErrors: fuzzerErrors.slice(0, 50),
    observer: observed,
    memory,
    stateAfter,
    serverLoop,
    cpu,
    serverExit,
    serverLogTail: server.log().slice(-4000),
  };
  return { ...report, failures: judge(report, config, fuzzerErrors.length, running) };
}

/** What failed, in words: empty when the run passed. */
function judge(
  report: Omit<FuzzReport, 'failures'>,
  config: FuzzConfig,
  fuzzerErrors: number,
  running: boolean,
): string[] {
  const failures: string[] = [];
  const { serverExit, memory, stateAfter } = report;
  if (!running) failures.push(`the server died during the run: ${JSON.stringify(serverExit)}`);
  else if (serverExit.code !== 0)
    failures.push(`the server did not stop cleanly on SIGTERM: ${JSON.stringify(serverExit)}`);
  if (report.frames.total < config.frames)
    failures.push(`only ${report.frames.total} of ${config.frames} frames were sent`);
  if (report.violations.count > 0)
    failures.push(`${report.violations.count} protocol violations by the server`);
  if (fuzzerErrors > 0) failures.push(`${fuzzerErrors} sessions failed on the fuzzer's side`);
  failures.push(...observerFailures(report.observer, config));
  if (memory && memory.settledInMs === undefined) {
    failures.push(
      `server RSS ${memory.afterMb.toFixed(1)} MB did not come back within ${config.memorySlackMb} MB of ` +
        `its ${memory.baselineMb.toFixed(1)} MB baseline in ${config.settleMs} ms`,
    );
  }
  const heapGrowth = (memory?.afterHeapMb ?? 0) - (memory?.baselineHeapMb ?? 0);
  if (heapGrowth > config.heapSlackMb) {
    failures.push(
      `the server's live heap grew ${heapGrowth.toFixed(1)} MB over the run (after full GCs; ` +
        `${config.heapSlackMb} MB allowed): something outlives the sockets`,
    );
  }
  for (const [gauge, expected] of Object.entries(STATE_AFTER)) {
    const value = stateAfter[gauge];
    if (running && value !== undefined && value !== expected) {
      failures.push(
        `${gauge} is ${value} after the run, not ${expected} (the watcher pair's alone)`,
      );
    }
  }

  return failures;
}

async function runSession(
  session: Session,
  scenario: Scenario,
  maxMs: number,
  onError: (err: unknown) => void,
): Promise<void> {
  const run = scenario(session).catch(onError);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([run, new Promise((r) => (timer = setTimeout(r, maxMs)))]);
  clearTimeout(timer);
  await session.end();
  await Promise.race([run, new Promise((r) => (timer = setTimeout(r, SESSION_GRACE_MS)))]);
  clearTimeout(timer);
}

function observerFailures(observed: ObserverReport | undefined, config: FuzzConfig): string[] {
  if (!observed) return ['the observer gave no report'];
  const out: string[] = [];
  const { health, watch } = observed;
  if (health.failures.length > 0)
    out.push(`${health.failures.length} healthz polls failed: ${health.failures[0]}`);
  const allowed = Math.floor(health.latencyMs.count * config.healthOverLimitShare);
  if (health.latencyMs.overLimit > allowed) {
    out.push(
      `${health.latencyMs.overLimit} of ${health.latencyMs.count} healthz polls took over ` +
        `${config.healthLimitMs} ms (max ${health.latencyMs.max.toFixed(0)} ms; ${allowed} allowed)`,
    );
  }
  if (watch.failures.length > 0)
    out.push(`the well-behaved pair failed ${watch.failures.length} times: ${watch.failures[0]}`);
  if (watch.rounds === 0) out.push('the well-behaved pair completed no round');
  return out;
}

interface Collected {
  readonly rss: number;
  /** V8's live heap after the collections (undefined without a probe answer). */
  readonly heapMb: number | undefined;
}

/** Memory once garbage has been collected (and the freed pages have had a moment to go). */
async function collected(server: ServerChild): Promise<Collected> {
  const probe = await server.probe();
  await new Promise((r) => setTimeout(r, GC_WAIT_MS));
  return { rss: server.rssBytes() ?? 0, heapMb: probe?.heapUsedMb };
}

/** Waits for every fuzz socket to be gone from the server; returns its state gauges then. */
async function drained(origin: string): Promise<Record<string, number | undefined>> {
  const deadline = performance.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const metrics = await readMetrics(origin).catch(() => ({}) as Record<string, number>);
    const state = Object.fromEntries(
      Object.entries(STATE_GAUGES).map(([key, name]) => [key, metrics[name]]),
    );
    const done = state.connections === undefined || state.connections <= STATE_AFTER.connections;
    if (done || performance.now() > deadline) return state;
    await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
  }
}

/** GC and wait until RSS is at most `limit`, up to `ms`. */
async function settle(
  server: ServerChild,
  limit: number,
  ms: number,
): Promise<Collected & { inMs: number | undefined }> {
  const start = performance.now();
  let last: Collected = { rss: Number.POSITIVE_INFINITY, heapMb: undefined };
  while (performance.now() - start < ms) {
    last = await collected(server);
    if (last.rss <= limit) return { ...last, inMs: performance.now() - start };
  }
  return { ...last, inMs: undefined };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
