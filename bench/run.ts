import { rm } from 'node:fs/promises';
import { type Browser, type BrowserContext, chromium } from '@playwright/test';
import { CHROMIUM_LAUNCH } from '../e2e/browser.js';
import { type ServerProcess, startServerProcess } from '../e2e/server-process.js';
import { pageAssetPaths, waitForStored } from '../e2e/swarm.js';
import { BIG_ASSET, prepareSite } from './bench-site.js';
import { startLatencyProxy } from './latency-proxy.js';
import { manifestScaleRows } from './manifest-scale.js';
import { median } from './median.js';
import { natRows } from './nat-scenario.js';
import { fetchInPage, firstImageAt, recordFirstImage, waitForPageComplete } from './page-probes.js';
import { rawDataChannelThroughput } from './raw-datachannel.js';
import { printTable, type ResultRow, writeResults } from './report.js';

/** Repetitions of each page-load measurement; the table shows the median. */
const LOAD_RUNS = 3;
/** The origin as seen from the browser: loopback, and a typical remote origin (one way, ms). */
const ORIGIN_ONE_WAY_DELAYS_MS = [0, 20];
/** Rounds of raw vs whole-path throughput, each on a fresh downloading visitor. */
const THROUGHPUT_ROUNDS = 3;
/** Fallback run: close the seeder once this much of the big asset has arrived. */
const VANISH_AFTER_BYTES = 4 * 1024 * 1024;

interface Origin {
  /** Where browsers go: the server itself or a latency proxy in front of it. */
  url: string;
  server: ServerProcess;
}

/** One visitor's first page view; returns ms to the final page with every image decoded. */
async function firstVisit(
  browser: Browser,
  origin: Origin,
  options: { blockWorkers?: boolean; keepOpen?: boolean; controlled?: boolean } = {},
): Promise<{
  ms: number;
  firstImageMs: number;
  originAssetBytes: number;
  context: BrowserContext;
}> {
  const context = await browser.newContext({
    serviceWorkers: options.blockWorkers ? 'block' : 'allow',
  });
  await recordFirstImage(context);
  const page = await context.newPage();
  const before = await origin.server.originAssetBytes();
  const started = Date.now();
  await page.goto(origin.url);
  const ms = await waitForPageComplete(page, started, options.controlled ?? !options.blockWorkers);
  const firstImageMs = (await firstImageAt(page)) - started;
  const originAssetBytes = (await origin.server.originAssetBytes()) - before;
  if (!options.keepOpen) await context.close();
  return { ms, firstImageMs, originAssetBytes, context };
}

interface FirstVisitVariant {
  variant: string;
  serveArgs: string[];
  blockWorkers?: boolean;
  /** Whether the measured page ends up under the worker. */
  controlled: boolean;
  withSeeder: boolean;
}

const FIRST_VISIT_VARIANTS: FirstVisitVariant[] = [
  {
    variant: 'plain site, no PeerConnect (baseline)',
    serveArgs: ['--no-inject', '--first-visit', 'off'],
    blockWorkers: true,
    controlled: false,
    withSeeder: false,
  },
  {
    variant: 'PeerConnect, --first-visit off',
    serveArgs: ['--first-visit', 'off'],
    controlled: false,
    withSeeder: false,
  },
  {
    variant: 'PeerConnect bootstrap, no peer in the swarm',
    serveArgs: [],
    controlled: true,
    withSeeder: false,
  },
  {
    variant: 'PeerConnect bootstrap, 1 peer holds the page',
    serveArgs: [],
    controlled: true,
    withSeeder: true,
  },
];

async function firstVisitRows(browser: Browser, site: string): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  for (const oneWayMs of ORIGIN_ONE_WAY_DELAYS_MS) {
    for (const variant of FIRST_VISIT_VARIANTS) {
      const server = await startServerProcess(site, variant.serveArgs);
      const proxy = await startLatencyProxy(new URL(server.url), oneWayMs);
      const origin = { url: proxy.url, server };
      try {
        const seeder = variant.withSeeder
          ? await firstVisit(browser, origin, { keepOpen: true })
          : undefined;
        const seederPage = seeder?.context.pages()[0];
        if (seederPage) await waitForStored(seederPage, await pageAssetPaths(seederPage));
        const runs: number[] = [];
        const firstImage: number[] = [];
        let bytes = 0;
        for (let i = 0; i < LOAD_RUNS; i++) {
          const visit = await firstVisit(browser, origin, {
            blockWorkers: variant.blockWorkers,
            controlled: variant.controlled,
          });
          runs.push(visit.ms);
          firstImage.push(Math.round(visit.firstImageMs));
          bytes = Math.max(bytes, visit.originAssetBytes);
        }
        await seeder?.context.close();
        rows.push(
          {
            scenario: `first visit, origin RTT ${2 * oneWayMs} ms: first image`,
            variant: variant.variant,
            value: median(firstImage),
            unit: 'ms',
            runs: firstImage,
          },
          {
            scenario: `first visit, origin RTT ${2 * oneWayMs} ms: all images`,
            variant: variant.variant,
            value: median(runs),
            unit: 'ms',
            originAssetBytes: bytes,
            runs,
          },
        );
      } finally {
        await proxy.close();
        await server.stop();
      }
    }
  }
  return rows;
}

async function throughputRows(browser: Browser, site: string): Promise<ResultRow[]> {
  const server = await startServerProcess(site);
  const origin = { url: server.url, server };
  try {
    const a = await firstVisit(browser, origin, { keepOpen: true });
    const pageA = a.context.pages()[0]!;
    const seeded = await fetchInPage(pageA, BIG_ASSET.path);
    await waitForStored(pageA, [BIG_ASSET.path]);
    const raw: number[] = [];
    const whole: number[] = [];
    let originDuring = 0;
    // Alternate the two on fresh visitors: the machine's noise then hits both alike.
    for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
      const b = await firstVisit(browser, origin, { keepOpen: true });
      const pageB = b.context.pages()[0]!;
      await waitForStored(pageB, await pageAssetPaths(pageB));
      raw.push(await rawDataChannelThroughput(pageA, pageB, BIG_ASSET.bytes));
      const before = await server.originAssetBytes();
      const fetched = await fetchInPage(pageB, BIG_ASSET.path);
      originDuring += (await server.originAssetBytes()) - before;
      if (fetched.sha256 !== seeded.sha256) {
        throw new Error('the asset from the peer differs from the origin copy');
      }
      whole.push(BIG_ASSET.bytes / 1e6 / (fetched.ms / 1000));
      await b.context.close();
    }
    await a.context.close();
    const rounded = (values: number[]) => values.map((mbs) => Math.round(mbs * 10) / 10);
    return [
      {
        scenario: '16 MiB A→B',
        variant: 'raw RTCDataChannel (baseline)',
        value: median(raw),
        unit: 'MB/s',
        runs: rounded(raw),
      },
      {
        scenario: '16 MiB A→B',
        variant: 'whole path: worker → agent → peer → verify',
        value: median(whole),
        unit: 'MB/s',
        originAssetBytes: originDuring,
        ratioToBaseline: median(whole) / median(raw),
        runs: rounded(whole),
      },
      {
        scenario: '16 MiB A→B',
        variant: 'from the origin (loopback, first fetch by A)',
        value: BIG_ASSET.bytes / 1e6 / (seeded.ms / 1000),
        unit: 'MB/s',
      },
    ];
  } finally {
    await server.stop();
  }
}

async function fallbackRows(browser: Browser, site: string): Promise<ResultRow[]> {
  const server = await startServerProcess(site);
  const origin = { url: server.url, server };
  try {
    const a = await firstVisit(browser, origin, { keepOpen: true });
    await fetchInPage(a.context.pages()[0]!, BIG_ASSET.path);
    await waitForStored(a.context.pages()[0]!, [BIG_ASSET.path]);
    const b = await firstVisit(browser, origin, { keepOpen: true });
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

/** `npm run bench -- throughput fallback` runs only those; no names runs them all. */
const SCENARIOS = {
  'first-visit': firstVisitRows,
  throughput: throughputRows,
  fallback: fallbackRows,
  nat: natRows,
  manifest: () => manifestScaleRows(),
} as const;

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !(name in SCENARIOS));
  if (unknown.length > 0) {
    throw new Error(
      `unknown scenario ${unknown.join(', ')}; pick from ${Object.keys(SCENARIOS).join(', ')}`,
    );
  }
  const chosen =
    asked.length > 0
      ? (asked as (keyof typeof SCENARIOS)[])
      : (Object.keys(SCENARIOS) as (keyof typeof SCENARIOS)[]);
  const site = await prepareSite();
  const browser = await chromium.launch(CHROMIUM_LAUNCH);
  try {
    const rows: ResultRow[] = [];
    for (const name of chosen) rows.push(...(await SCENARIOS[name](browser, site)));
    if (rows.length === 0) {
      console.log('no results (every chosen scenario was skipped)');
      return;
    }
    printTable(rows);
    console.log(`results: ${await writeResults(rows)}`);
  } finally {
    await browser.close();
    await rm(site, { recursive: true, force: true });
  }
}

await main();
