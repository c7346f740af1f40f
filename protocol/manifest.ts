import * as v from 'valibot';
import { CHUNK_SIZE, MANIFEST_FORMAT, PATHS } from './constants.js';
import { PeerConnectError } from './errors.js';
import { SHA256_HEX, sha256, sha256Hex } from './hash.js';
import { parseWith } from './validate.js';

/**
 * The manifest is the only thing peers trust. The origin publishes, for each static asset, its
 * size, type and the sha-256 of the whole file and of every CHUNK_SIZE chunk. So that a visitor's
 * cost grows with what it loads rather than with the size of the site, the sorted paths are cut
 * into shards of contiguous ranges: a small root lists each shard's lowest path and sha-256, and
 * a shard is a content-addressed file fetched on demand and checked against the root. Ranges,
 * not a hash of the path, because a page's assets share directories, so they fall in one or two
 * shards per directory rather than one shard each. The cuts are content-defined (after a path whose hash hits,
 * see `buildManifestFiles`), so adding or removing a file changes its own shard (at worst a
 * neighbour too) and every other shard keeps its hash, and its place in caches, across releases.
 * The root's `version` is the sha-256 of its canonical content, so one version pins every asset
 * of a release.
 */
export interface ManifestAsset {
  /** URL path on the origin, starting with '/', percent-encoded as a browser would request it. */
  path: string;
  size: number;
  /** Content-Type the origin serves. */
  type: string;
  /** sha-256 (hex) of the whole file: the asset's identity between peers. */
  sha256: string;
  /** sha-256 (hex) of each CHUNK_SIZE chunk, in order; empty for an empty file. */
  chunks: string[];
}

export interface ManifestRoot {
  format: typeof MANIFEST_FORMAT;
  version: string;
  chunkSize: typeof CHUNK_SIZE;
  /** How many assets the shards hold together (informational: readers check only its bound). */
  assetCount: number;
  /**
   * The shards in path order: shard i holds the paths from its `first` (inclusive) to the next
   * shard's `first` (exclusive); shards[0].first is '/'. `sha256` (hex) is of the file's exact
   * bytes. See `shardOf`.
   */
  shards: ManifestShardRef[];
  /** The site owner stood PeerConnect down: workers pass everything through and unregister. */
  disabled?: true;
}

export interface ManifestShardRef {
  /** The lowest path the shard may hold (a valid asset path); strictly increasing over shards. */
  first: string;
  sha256: string;
}

/**
 * A shard file. It does not say which shard of the root it is: an index would shift with every
 * cut added or removed before it and change the bytes of every later shard. The root's range
 * for it is checked instead.
 */
export interface ManifestShard {
  format: typeof MANIFEST_FORMAT;
  /** Sorted by path, unique. */
  assets: ManifestAsset[];
}

/** Limits that keep a hostile or broken manifest from exhausting memory. */
export const MANIFEST_LIMITS = {
  maxAssets: 1_000_000,
  maxShards: 4096,
  /**
   * The builder cuts a shard after a path whose sha-256 (first 32 bits) is 0 modulo this, once
   * the shard holds `minShardAssets`: shards hold about minShardAssets + assetsPerShard assets.
   */
  assetsPerShard: 256,
  /** The builder cuts no shard smaller (but the last): a page's directory spans few shards. */
  minShardAssets: 64,
  /** The builder cuts a shard that reaches this many assets, whatever the hashes say. */
  maxShardAssetsBuilt: 1024,
  /** Largest shard (in assets) a reader accepts: a generous bound above the builder's cut. */
  maxShardAssets: 16_384,
  /** Largest root or shard file (bytes) a reader accepts. */
  maxFileBytes: 8 * 1024 * 1024,
  maxPathLength: 2048,
  maxAssetSize: 4 * 1024 * 1024 * 1024,
  maxTypeLength: 200,
} as const;

const Sha256 = v.pipe(v.string(), v.regex(SHA256_HEX, 'must be a lowercase hex sha-256'));

/** An asset's URL path, and a shard's `first`. */
const PathSchema = v.pipe(
  v.string(),
  v.startsWith('/', 'must start with /'),
  v.maxLength(MANIFEST_LIMITS.maxPathLength),
  v.check((p) => !p.split('/').some((s) => s === '..' || s === '.'), 'must not contain . or ..'),
  v.check((p) => !/[\s?#\\]/.test(p), 'must not contain whitespace, ?, # or \\'),
);

export const ManifestAssetSchema = v.object({
  path: PathSchema,
  size: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MANIFEST_LIMITS.maxAssetSize)),
  type: v.pipe(v.string(), v.minLength(1), v.maxLength(MANIFEST_LIMITS.maxTypeLength)),
  sha256: Sha256,
  chunks: v.pipe(
    v.array(Sha256),
    v.maxLength(Math.ceil(MANIFEST_LIMITS.maxAssetSize / CHUNK_SIZE)),
  ),
});

const RootSchema = v.object({
  format: v.literal(MANIFEST_FORMAT),
  version: Sha256,
  chunkSize: v.literal(CHUNK_SIZE),
  assetCount: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MANIFEST_LIMITS.maxAssets)),
  shards: v.pipe(
    v.array(v.object({ first: PathSchema, sha256: Sha256 })),
    v.minLength(1),
    v.maxLength(MANIFEST_LIMITS.maxShards),
  ),
  disabled: v.optional(v.literal(true)),
});

const ShardSchema = v.object({
  format: v.literal(MANIFEST_FORMAT),
  assets: v.pipe(v.array(ManifestAssetSchema), v.maxLength(MANIFEST_LIMITS.maxShardAssets)),
});

export function chunkCount(size: number, chunkSize: number = CHUNK_SIZE): number {
  return Math.ceil(size / chunkSize);
}

/** Byte length of chunk `index` of an asset of `size` bytes. */
export function chunkLength(size: number, index: number, chunkSize: number = CHUNK_SIZE): number {
  return Math.min(chunkSize, size - index * chunkSize);
}

/**
 * The shard that holds `path`: the last whose `first` is at most `path` (JS string order, the
 * order the builder sorts by), found by binary search. 0 for a path below every `first`.
 */
export function shardOf(path: string, root: Pick<ManifestRoot, 'shards'>): number {
  let low = 0;
  let high = root.shards.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >>> 1;
    if ((root.shards[mid] as ManifestShardRef).first <= path) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** Checks one untrusted asset record (from a shard, postMessage or IndexedDB). */
export function parseManifestAsset(input: unknown): ManifestAsset {
  const asset = parseWith(ManifestAssetSchema, input, 'bad-manifest');
  if (asset.chunks.length !== chunkCount(asset.size)) {
    throw new PeerConnectError(
      'bad-manifest',
      `${asset.path}: ${asset.chunks.length} chunk hashes for ${asset.size} bytes`,
    );
  }
  return asset;
}

/** The canonical text that `version` hashes: every field of the root but the version. */
export function canonicalRootContent(root: Omit<ManifestRoot, 'version'>): string {
  const { format, chunkSize, assetCount, shards, disabled } = root;
  return JSON.stringify({
    format,
    chunkSize,
    assetCount,
    shards: shards.map(({ first, sha256 }) => ({ first, sha256 })),
    ...(disabled ? { disabled } : {}),
  });
}

/**
 * Parses and verifies an untrusted root (from the network, a file or IndexedDB): its shape, that
 * its shards' firsts start at '/' and strictly increase (so every path has exactly one shard),
 * and that its version is the hash of its content. `assetCount` is informational: checking it
 * would take every shard. Throws PeerConnectError('bad-manifest') or
 * ('manifest-version-mismatch').
 */
export async function parseManifestRoot(input: unknown): Promise<ManifestRoot> {
  const root = parseWith(RootSchema, input, 'bad-manifest') as ManifestRoot;
  if (root.shards[0]?.first !== '/') {
    throw new PeerConnectError('bad-manifest', `shard 0 starts at ${root.shards[0]?.first}, not /`);
  }
  for (let i = 1; i < root.shards.length; i++) {
    if (
      (root.shards[i] as ManifestShardRef).first <= (root.shards[i - 1] as ManifestShardRef).first
    ) {
      throw new PeerConnectError('bad-manifest', `shard ${i}: firsts not strictly increasing`);
    }
  }
  const expected = await sha256Hex(new TextEncoder().encode(canonicalRootContent(root)));
  if (expected !== root.version) {
    throw new PeerConnectError('manifest-version-mismatch', `${root.version} != ${expected}`);
  }
  return root;
}

/**
 * Parses an untrusted shard file as fetched (its exact bytes) and checks it is shard `index`
 * of `root`: its hash is the one the root lists, and its paths are sorted, unique and within
 * the shard's range [first, next shard's first).
 */
export async function parseManifestShard(
  bytes: Uint8Array<ArrayBuffer>,
  root: ManifestRoot,
  index: number,
): Promise<ManifestShard> {
  const expected = root.shards[index]?.sha256;
  if (expected === undefined) throw new PeerConnectError('bad-manifest', `no shard ${index}`);
  if (bytes.byteLength > MANIFEST_LIMITS.maxFileBytes) {
    throw new PeerConnectError('bad-manifest', `shard of ${bytes.byteLength} bytes`);
  }
  if ((await sha256Hex(bytes)) !== expected) {
    throw new PeerConnectError('manifest-version-mismatch', `shard ${index} does not match`);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new PeerConnectError('bad-manifest', `shard ${index} is not JSON`);
  }
  const shard = parseWith(ShardSchema, json, 'bad-manifest') as ManifestShard;
  const first = (root.shards[index] as ManifestShardRef).first;
  const end = root.shards[index + 1]?.first;
  let previous = '';
  for (const asset of shard.assets) {
    parseManifestAsset(asset);
    if (asset.path <= previous) {
      throw new PeerConnectError('bad-manifest', `${asset.path}: not sorted or duplicated`);
    }
    previous = asset.path;
    if (asset.path < first || (end !== undefined && asset.path >= end)) {
      throw new PeerConnectError('bad-manifest', `${asset.path} is not in shard ${index}`);
    }
  }
  return shard;
}

/** A release as the origin publishes it: the root and each shard's exact bytes. */
export interface ManifestFiles {
  root: ManifestRoot;
  /** Indexed like `root.shards`. */
  shards: Array<{
    first: string;
    sha256: string;
    bytes: Uint8Array<ArrayBuffer>;
    shard: ManifestShard;
  }>;
}

/**
 * Builds the root and shard files of a release from its assets (any order, unique paths).
 * The sorted paths are walked and a shard is cut after path p once it holds `minShardAssets`
 * and the first 32 bits of sha-256(p) are 0 modulo `assetsPerShard`, or once it reaches
 * `maxShardAssetsBuilt`. A cut depends on the path it follows (and the count since the last
 * cut), not on a shard's place, so an edit elsewhere leaves it where it was. The next shard's
 * `first` is the path after the cut; shard 0's is '/'.
 */
export async function buildManifestFiles(
  assets: readonly ManifestAsset[],
  options: { disabled?: boolean } = {},
): Promise<ManifestFiles> {
  const sorted = assets
    .map(({ path, size, type, sha256: hash, chunks }) => ({
      path,
      size,
      type,
      sha256: hash,
      chunks,
    }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    const path = (sorted[i] as ManifestAsset).path;
    if (path === sorted[i - 1]?.path)
      throw new PeerConnectError('bad-manifest', `duplicate ${path}`);
  }
  const encoder = new TextEncoder();
  const hits = await Promise.all(sorted.map(({ path }) => cutsAfter(encoder.encode(path))));
  const buckets: Array<{ first: string; assets: ManifestAsset[] }> = [{ first: '/', assets: [] }];
  for (const [i, asset] of sorted.entries()) {
    const bucket = buckets[buckets.length - 1] as { first: string; assets: ManifestAsset[] };
    bucket.assets.push(asset);
    const size = bucket.assets.length;
    const cut =
      size >= MANIFEST_LIMITS.maxShardAssetsBuilt ||
      (size >= MANIFEST_LIMITS.minShardAssets && hits[i] === true);
    const next = sorted[i + 1];
    if (cut && next) buckets.push({ first: next.path, assets: [] });
  }
  if (buckets.length > MANIFEST_LIMITS.maxShards) {
    throw new PeerConnectError('bad-manifest', `${buckets.length} shards: too many assets`);
  }
  const shards = await Promise.all(
    buckets.map(async ({ first, assets: bucket }) => {
      const shard: ManifestShard = { format: MANIFEST_FORMAT, assets: bucket };
      const bytes = encoder.encode(JSON.stringify(shard));
      return { first, sha256: await sha256Hex(bytes), bytes, shard };
    }),
  );
  const body: Omit<ManifestRoot, 'version'> = {
    format: MANIFEST_FORMAT,
    chunkSize: CHUNK_SIZE,
    assetCount: sorted.length,
    shards: shards.map(({ first, sha256: hash }) => ({ first, sha256: hash })),
    ...(options.disabled ? { disabled: true as const } : {}),
  };
  const version = await sha256Hex(encoder.encode(canonicalRootContent(body)));
  return { root: { ...body, version }, shards };
}

/** Whether a content-defined cut may follow this path: its hash's first 32 bits hit. */
async function cutsAfter(path: Uint8Array<ArrayBuffer>): Promise<boolean> {
  const digest = await sha256(path);
  return new DataView(digest.buffer).getUint32(0) % MANIFEST_LIMITS.assetsPerShard === 0;
}

/** URL path of a shard file on the origin: content-addressed, so cacheable for ever. */
export function shardUrlPath(hash: string): string {
  return `${PATHS.shards}${hash}.json`;
}
