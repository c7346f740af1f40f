import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium } from '@playwright/test';
import { CHROMIUM_LAUNCH } from '../e2e/browser.js';
import { type ServerProcess, startServerProcess } from '../e2e/server-process.js';
import { fetchInPage, waitForPageComplete } from './page-probes.js';
import { rawDataChannelThroughput } from './raw-datachannel.js';
import { printTable, type ResultRow, writeResults } from './report.js';

/** A 16 MiB asset for the throughput and fallback runs (random, so nothing compresses it). */
const BIG_ASSET = { path: '/bench/payload-16m.wasm', bytes: 16 * 1024 * 1024 } as const;
/** Repetitions of each page-load measurement; the table shows the median. */
const LOAD_RUNS = 3;
/** Fallback run: close the seeder once this much of the big asset has arrived. */
const VANISH_AFTER_BYTES = 4 * 1024 * 1024;

async function prepareSite(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'peerconnect-bench-'));
  await cp(join(import.meta.dirname, '..', 'examples', 'demo'), dir, { recursive: true });
  await rm(join(dir, 'peerconnect'), { recursive: true, force: true });
  await mkdir(join(dir, 'bench'), { recursive: true });
  await writeFile(join(dir, BIG_ASSET.path), randomBytes(BIG_ASSET.bytes));
  return dir;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** One visitor's first page view; returns ms to the final page with every image decoded. */
async function firstVisit(
  browser: Browser,
  server: ServerProcess,
  options: { blockWorkers?: boolean; keepOpen?: boolean } = {},
): Promise<{ ms: number; originAssetBytes: number; context: BrowserContext }> {
  const context = await browser.newContext({
    serviceWorkers: options.blockWorkers ? 'block' : 'allow',
  });
  const page = await context.newPage();
  const before = await server.originAssetBytes();
  const started = Date.now();
  await page.goto(server.url);
  const ms = await waitForPageComplete(page, started, !options.blockWorkers);
  const originAssetBytes = (await server.originAssetBytes()) - before;
  if (!options.keepOpen) await context.close();
  return { ms, originAssetBytes, context };
}

async function firstVisitRows(browser: Browser, site: string): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  const plain = await startServerProcess(site, ['--no-inject', '--first-visit', 'off']);
  const noPeers = await startServerProcess(site);
  const withPeer = await startServerProcess(site);
  try {
    const runs = { plain: [] as number[], alone: [] as number[], peer: [] as number[] };
    const bytes = { plain: 0, alone: 0, peer: 0 };
    for (let i = 0; i < LOAD_RUNS; i++) {
      const a = await firstVisit(browser, plain, { blockWorkers: true });
      runs.plain.push(a.ms);
      bytes.plain = a.originAssetBytes;
      const b = await firstVisit(browser, noPeers);
      runs.alone.push(b.ms);
      bytes.alone = b.originAssetBytes;
    }
    const seeder = await firstVisit(browser, withPeer, { keepOpen: true });
    for (let i = 0; i < LOAD_RUNS; i++) {
      const c = await firstVisit(browser, withPeer);
      runs.peer.push(c.ms);
      bytes.peer = c.originAssetBytes;
    }
    await seeder.context.close();
    rows.push(
      {
        scenario: 'first visit',
        variant: 'plain site, no PeerConnect (baseline)',
        value: median(runs.plain),
        unit: 'ms',
        originAssetBytes: bytes.plain,
        runs: runs.plain,
      },
      {
        scenario: 'first visit',
        variant: 'PeerConnect, no peer in the swarm',
        value: median(runs.alone),
        unit: 'ms',
        originAssetBytes: bytes.alone,
        runs: runs.alone,
      },
      {
        scenario: 'first visit',
        variant: 'PeerConnect, 1 peer holds the page',
        value: median(runs.peer),
        unit: 'ms',
        originAssetBytes: bytes.peer,
        runs: runs.peer,
      },
    );
  } finally {
    await Promise.all([plain.stop(), noPeers.stop(), withPeer.stop()]);
  }
  return rows;
}

async function throughputRows(browser: Browser, site: string): Promise<ResultRow[]> {
  const server = await startServerProcess(site);
  try {
    const a = await firstVisit(browser, server, { keepOpen: true });
    const pageA = a.context.pages()[0]!;
    const seeded = await fetchInPage(pageA, BIG_ASSET.path);
    await pageA.waitForTimeout(500);
    const b = await firstVisit(browser, server, { keepOpen: true });
    const pageB = b.context.pages()[0]!;
    const before = await server.originAssetBytes();
    const whole = await fetchInPage(pageB, BIG_ASSET.path);
    const originDuring = (await server.originAssetBytes()) - before;
    if (whole.sha256 !== seeded.sha256)
      throw new Error('the asset from the peer differs from the origin copy');
    const wholeMBs = BIG_ASSET.bytes / 1e6 / (whole.ms / 1000);
    const rawMBs = await rawDataChannelThroughput(pageA, pageB, BIG_ASSET.bytes);
    const originMBs = BIG_ASSET.bytes / 1e6 / (seeded.ms / 1000);
    await Promise.all([a.context.close(), b.context.close()]);
    return [
      {
        scenario: '16 MiB A→B',
        variant: 'raw RTCDataChannel (baseline)',
        value: rawMBs,
        unit: 'MB/s',
      },
      {
        scenario: '16 MiB A→B',
        variant: 'whole path: worker → agent → peer → verify',
        value: wholeMBs,
        unit: 'MB/s',
        originAssetBytes: originDuring,
        ratioToBaseline: wholeMBs / rawMBs,
      },
      {
        scenario: '16 MiB A→B',
        variant: 'from the origin (loopback, first fetch by A)',
        value: originMBs,
        unit: 'MB/s',
      },
    ];
  } finally {
    await server.stop();
  }
}

async function fallbackRows(browser: Browser, site: string): Promise<ResultRow[]> {
  const server = await startServerProcess(site);
  try {
    const a = await firstVisit(browser, server, { keepOpen: true });
    await fetchInPage(a.context.pages()[0]!, BIG_ASSET.path);
    const b = await firstVisit(browser, server, { keepOpen: true });
    const pageB = b.context.pages()[0]!;
    const before = await server.originAssetBytes();
    const transfer = fetchInPage(pageB, BIG_ASSET.path);
    await pageB.waitForFunction(
      (threshold) =>
        ((window as unknown as { benchReceived?: number }).benchReceived ?? 0) >= threshold,
      VANISH_AFTER_BYTES,
      { polling: 5 },
    );
    const vanishedAt = Date.now();
    await a.context.close();
    const result = await transfer;
    const afterVanishMs = Date.now() - vanishedAt;
    const originBytes = (await server.originAssetBytes()) - before;
    await b.context.close();
    return [
      {
        scenario: 'seeder vanishes at 4 MiB',
        variant: 'longest pause in the stream',
        value: result.maxGapMs,
        unit: 'ms',
      },
      {
        scenario: 'seeder vanishes at 4 MiB',
        variant: 'from vanish to complete (origin Range)',
        value: afterVanishMs,
        unit: 'ms',
        originAssetBytes: originBytes,
      },
    ];
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const site = await prepareSite();
  const browser = await chromium.launch(CHROMIUM_LAUNCH);
  try {
    const rows = [
      ...(await firstVisitRows(browser, site)),
      ...(await throughputRows(browser, site)),
      ...(await fallbackRows(browser, site)),
    ];
    printTable(rows);
    console.log(`results: ${await writeResults(rows)}`);
  } finally {
    await browser.close();
    await rm(site, { recursive: true, force: true });
  }
}

await main();
