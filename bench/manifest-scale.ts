import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  CHUNK_SIZE,
  MANIFEST_FORMAT,
  MANIFEST_LIMITS,
  type ManifestAsset,
  MIB,
  sha256,
  sha256Hex,
  shardOf,
} from '../protocol/index.js';
import { startServer } from '../server/index.js';
import { buildManifest } from '../site/index.js';
import { printTable, type ResultRow, writeResults } from './report.js';
import { writeBarChart } from './svg-chart.js';

/** Site sizes the issue asks about: 20,000 files (4.2 MB manifest in v1) and 100,000. */
const SITE_FILE_COUNTS = [20_000, 100_000];
/** Files per directory of the generated site. */
const FILES_PER_DIR = 500;
/**
 * What one page loads: 20 assets from 3 directories (its own, the next, and d0 shared by all
 * pages), taken either as the first files of each (a gallery's thumbnails) or spread evenly
 * over each (a page's scripts among a flat directory of bundles: the worst case for ranges).
 * Figures are the mean over the pages of every directory, so one unlucky shard does not decide.
 */
const PAGE_DIRS = [
  { offset: 0, count: 8 },
  { offset: 1, count: 8 },
  { shared: 0, count: 4 },
];
const PAGE_ASSETS = PAGE_DIRS.reduce((sum, { count }) => sum + count, 0);
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

/** The page of directory `own` (from 1, so d0 stays the shared one). */
function pagePaths(own: number, spread: boolean): string[] {
  return PAGE_DIRS.flatMap(({ offset, shared, count }) =>
    Array.from({ length: count }, (_, k) => {
      const dir = shared ?? own + (offset ?? 0);
      const i = dir * FILES_PER_DIR + (spread ? Math.floor((k * FILES_PER_DIR) / count) : k);
      return `/d${dir}/f${i}.js`;
    }),
  );
}

/** One layout of the manifest: the root's bytes, each shard's bytes, and a path's shard. */
interface Layout {
  rootBytes: number;
  shardBytes: number[];
  shardOf: (path: string) => number;
}

/**
 * The baseline, built here as before the range shards: ceil(n / 256) shards (at most 4096), a
 * path in shard sha-256(path)[0..4] mod the count, each file `{format, shard, assets}` and a
 * root listing bare hashes. Same assets and JSON encoding as the builder, so the bytes compare.
 */
async function hashModLayout(assets: readonly ManifestAsset[]): Promise<Layout> {
  const count = Math.min(
    MANIFEST_LIMITS.maxShards,
    Math.max(1, Math.ceil(assets.length / MANIFEST_LIMITS.assetsPerShard)),
  );
  const encoder = new TextEncoder();
  const pick = async (path: string) =>
    new DataView((await sha256(encoder.encode(path))).buffer).getUint32(0) % count;
  const buckets: ManifestAsset[][] = Array.from({ length: count }, () => []);
  const sorted = [...assets].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const indexes = await Promise.all(sorted.map(({ path }) => pick(path)));
  for (const [i, asset] of sorted.entries()) buckets[indexes[i]!]!.push(asset);
  const files = buckets.map((bucket, shard) =>
    encoder.encode(JSON.stringify({ format: MANIFEST_FORMAT, shard, assets: bucket })),
  );
  const hashes = await Promise.all(files.map((bytes) => sha256Hex(bytes)));
  const body = { format: MANIFEST_FORMAT, chunkSize: CHUNK_SIZE, assetCount: assets.length };
  const version = await sha256Hex(encoder.encode(JSON.stringify({ ...body, shards: hashes })));
  const root = JSON.stringify({ ...body, version, shards: hashes });
  const byPath = new Map(sorted.map(({ path }, i) => [path, indexes[i]!]));
  return {
    rootBytes: encoder.encode(root).byteLength,
    shardBytes: files.map((bytes) => bytes.byteLength),
    shardOf: (path) => byPath.get(path) ?? 0,
  };
}

/** The bytes a first visit to a page costs: the root and the distinct shards of its paths. */
function pageCost(layout: Layout, paths: readonly string[]) {
  const shards = new Set(paths.map(layout.shardOf));
  const bytes = [...shards].reduce((sum, i) => sum + layout.shardBytes[i]!, layout.rootBytes);
  return { shards: shards.size, bytes };
}

async function siteRows(count: number): Promise<ResultRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'peerconnect-manifest-scale-'));
  try {
    await makeSite(dir, count);
    const started = performance.now();
    const { release } = await buildManifest(dir);
    const buildMs = performance.now() - started;
    const after: Layout = {
      rootBytes: release.rootBytes.byteLength,
      shardBytes: release.root.shards.map(({ sha256: hash }) => release.shards.get(hash)!.length),
      shardOf: (path) => shardOf(path, release.root),
    };
    const before = await hashModLayout([...release.assets.values()]);
    const totalShardBytes = after.shardBytes.reduce((a, b) => a + b, 0);
    const shardCount = after.shardBytes.length;
    const scenario = `manifest, ${count.toLocaleString('en')} files`;
    const row = (variant: string, value: number, unit: string, extra = {}): ResultRow => ({
      scenario,
      variant,
      value,
      unit,
      ...extra,
      note: NOTE,
    });
    const pages = Math.ceil(count / FILES_PER_DIR) - 2;
    const meanCost = (layout: Layout, spread: boolean) => {
      let shards = 0;
      let bytes = 0;
      for (let own = 1; own <= pages; own++) {
        const cost = pageCost(layout, pagePaths(own, spread));
        shards += cost.shards;
        bytes += cost.bytes;
      }
      return { shards: (shards / pages).toFixed(1), bytes: bytes / pages };
    };
    const pageRows = (shape: string, spread: boolean): ResultRow[] => {
      const old = meanCost(before, spread);
      const now = meanCost(after, spread);
      const what = `a page of ${PAGE_ASSETS} assets in 3 dirs (${shape}; mean of ${pages}) fetches`;
      return [
        row(`${what}, before (hash mod): root + ${old.shards} shards`, old.bytes, 'B'),
        row(`${what}, after (path ranges): root + ${now.shards} shards`, now.bytes, 'B', {
          ratioToBaseline: now.bytes / old.bytes,
        }),
      ];
    };
    return [
      row('build time (hash + write)', buildMs, 'ms'),
      row('root bytes, before (hash mod)', before.rootBytes, 'B'),
      row('root bytes, after (path ranges)', after.rootBytes, 'B', {
        ratioToBaseline: after.rootBytes / before.rootBytes,
      }),
      row('shard count, before (hash mod)', before.shardBytes.length, 'shards'),
      row('shard count, after (path ranges)', shardCount, 'shards'),
      row('mean shard bytes', totalShardBytes / shardCount, 'B'),
      row('max shard bytes', Math.max(...after.shardBytes), 'B'),
      row('all shards together (a v1 manifest held all this)', totalShardBytes, 'B'),
      ...pageRows('first files of each', false),
      ...pageRows('spread over each', true),
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
