import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { MIB, shardOf } from '../protocol/index.js';
import { startServer } from '../server/index.js';
import { buildManifest } from '../site/index.js';
import { printTable, type ResultRow, writeResults } from './report.js';
import { writeBarChart } from './svg-chart.js';

/** Site sizes the issue asks about: 20,000 files (4.2 MB manifest in v1) and 100,000. */
const SITE_FILE_COUNTS = [20_000, 100_000];
/** Files per directory of the generated site, and what one page of it loads. */
const FILES_PER_DIR = 500;
const PAGE_ASSETS = 20;
/** Small files of a few hundred bytes to a few KiB, like icons, thumbnails and scripts. */
const MIN_FILE_BYTES = 200;
const FILE_BYTES_SPREAD = 4000;
/** The chunk-check serving figure: one file this large, read this many times. */
const SERVE_FILE_BYTES = 64 * MIB;
const SERVE_RUNS = 3;
const NOTE = 'disk and loopback only: no network latency or bandwidth';

async function makeSite(dir: string, count: number): Promise<void> {
  for (let d = 0; d * FILES_PER_DIR < count; d++) {
    await mkdir(join(dir, `d${d}`), { recursive: true });
    const writes: Promise<void>[] = [];
    for (let i = d * FILES_PER_DIR; i < Math.min(count, (d + 1) * FILES_PER_DIR); i++) {
      const size = MIN_FILE_BYTES + ((i * 7919) % FILE_BYTES_SPREAD);
      writes.push(writeFile(join(dir, `d${d}`, `f${i}.js`), Buffer.alloc(size, i % 251)));
    }
    await Promise.all(writes);
  }
}

async function siteRows(count: number): Promise<ResultRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'peerconnect-manifest-scale-'));
  try {
    await makeSite(dir, count);
    const started = performance.now();
    const { release } = await buildManifest(dir);
    const buildMs = performance.now() - started;
    const shardBytes = [...release.shards.values()].map((bytes) => bytes.byteLength);
    const totalShardBytes = shardBytes.reduce((a, b) => a + b, 0);
    // A page: the first PAGE_ASSETS files of one directory, as a gallery page would load them.
    const page = Array.from({ length: PAGE_ASSETS }, (_, i) => `/d1/f${FILES_PER_DIR + i}.js`);
    const shardCount = release.root.shards.length;
    const pageShards = new Set(page.map((path) => shardOf(path, release.root)));
    const pageBytes =
      release.rootBytes.byteLength + [...pageShards].reduce((sum, i) => sum + shardBytes[i]!, 0);
    const scenario = `manifest, ${count.toLocaleString('en')} files`;
    const row = (variant: string, value: number, unit: string, note = NOTE): ResultRow => ({
      scenario,
      variant,
      value,
      unit,
      note,
    });
    return [
      row('build time (hash + write)', buildMs, 'ms'),
      row('root bytes', release.rootBytes.byteLength, 'B'),
      row('shard count', shardCount, 'shards'),
      row('mean shard bytes', totalShardBytes / shardCount, 'B'),
      row('max shard bytes', Math.max(...shardBytes), 'B'),
      row('all shards together (a v1 manifest held all this)', totalShardBytes, 'B'),
      row(
        `a page of ${PAGE_ASSETS} assets fetches: root + ${pageShards.size} shards`,
        pageBytes,
        'B',
      ),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** MB/s of the origin serving a manifest asset with its per-chunk sha-256 check, over loopback. */
async function servingRows(): Promise<ResultRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'peerconnect-serve-check-'));
  const bytes = Buffer.alloc(SERVE_FILE_BYTES);
  for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i % 253;
  await writeFile(join(dir, 'big.mp4'), bytes);
  await writeFile(join(dir, 'plain.bin'), bytes);
  const server = await startServer({ siteDir: dir, port: 0, bundleDir: dir, log: () => {} });
  const rate = async (path: string) => {
    const runs: number[] = [];
    for (let i = 0; i < SERVE_RUNS; i++) {
      const started = performance.now();
      const body = await (await fetch(new URL(path, server.url))).arrayBuffer();
      if (body.byteLength !== SERVE_FILE_BYTES) throw new Error(`${path}: short body`);
      runs.push(SERVE_FILE_BYTES / 1e6 / ((performance.now() - started) / 1000));
    }
    return runs.sort((a, b) => a - b);
  };
  try {
    // plain.bin is not an asset type: served as a plain file stream, the cost without the check.
    const checked = await rate('/big.mp4');
    const plain = await rate('/plain.bin');
    const scenario = 'origin serving 64 MiB (median of 3)';
    const note = 'loopback, client in the same process';
    return [
      {
        scenario,
        variant: 'manifest asset, each 64 KiB chunk checked',
        value: checked[1]!,
        unit: 'MB/s',
        runs: checked.map(Math.round),
        note,
      },
      {
        scenario,
        variant: 'plain file stream, no check',
        value: plain[1]!,
        unit: 'MB/s',
        runs: plain.map(Math.round),
        note,
      },
    ];
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** `npm run bench -- manifest`: the sharded manifest at 20k and 100k files, and the check's cost. */
export async function manifestScaleRows(): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  for (const count of SITE_FILE_COUNTS) rows.push(...(await siteRows(count)));
  rows.push(...(await servingRows()));
  const bars = rows
    .filter((r) => r.unit === 'B' && !r.variant.startsWith('max') && !r.variant.startsWith('mean'))
    .map((r) => ({
      label: `${r.scenario.replace('manifest, ', '')}: ${r.variant}`,
      value: r.value,
      text: `${(r.value / 1000).toFixed(1)} kB`,
    }));
  await writeBarChart('manifest-scale', 'What a visitor fetches of the manifest', bars, NOTE);
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await manifestScaleRows();
  printTable(rows);
  console.log(`results: ${await writeResults(rows, 'manifest-scale')}`);
}
