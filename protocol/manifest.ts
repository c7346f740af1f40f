import * as v from 'valibot';
import { CHUNK_SIZE, MANIFEST_FORMAT, PATHS } from './constants.js';
import { PeerConnectError } from './errors.js';
import { SHA256_HEX, sha256, sha256Hex } from './hash.js';
import { parseWith } from './validate.js';

/**
 * The manifest is the only thing peers trust. The origin publishes, for each static asset, its
 * size, type and the sha-256 of the whole file and of every CHUNK_SIZE chunk. So that a visitor's
 * cost grows with what it loads rather than with the size of the site, assets are spread over
 * shards by a hash of their path: a small root lists each shard's sha-256, and a shard is a
 * content-addressed file fetched on demand and checked against the root. The root's `version`
 * is the sha-256 of its canonical content, so one version pins every asset of a release.
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
  /** How many assets the shards hold together. */
  assetCount: number;
  /** sha-256 (hex) of each shard file's exact bytes; shard i holds the paths `shardOf` maps to i. */
  shards: string[];
  /** The site owner stood PeerConnect down: workers pass everything through and unregister. */
  disabled?: true;
}

export interface ManifestShard {
  format: typeof MANIFEST_FORMAT;
  /** Which shard of the root this is. */
  shard: number;
  /** Sorted by path. */
  assets: ManifestAsset[];
}

/** Limits that keep a hostile or broken manifest from exhausting memory. */
export const MANIFEST_LIMITS = {
  maxAssets: 1_000_000,
  maxShards: 4096,
  /** Assets a shard holds on average: sites under this count publish one shard. */
  assetsPerShard: 256,
  /** Largest shard (in assets) a reader accepts: an unlucky hash spread stays far below it. */
  maxShardAssets: 16_384,
  /** Largest root or shard file (bytes) a reader accepts. */
  maxFileBytes: 8 * 1024 * 1024,
  maxPathLength: 2048,
  maxAssetSize: 4 * 1024 * 1024 * 1024,
  maxTypeLength: 200,
} as const;

const Sha256 = v.pipe(v.string(), v.regex(SHA256_HEX, 'must be a lowercase hex sha-256'));

export const ManifestAssetSchema = v.object({
  path: v.pipe(
    v.string(),
    v.startsWith('/', 'must start with /'),
    v.maxLength(MANIFEST_LIMITS.maxPathLength),
    v.check((p) => !p.split('/').some((s) => s === '..' || s === '.'), 'must not contain . or ..'),
    v.check((p) => !/[\s?#\\]/.test(p), 'must not contain whitespace, ?, # or \\'),
  ),
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
  shards: v.pipe(v.array(Sha256), v.minLength(1), v.maxLength(MANIFEST_LIMITS.maxShards)),
  disabled: v.optional(v.literal(true)),
});

const ShardSchema = v.object({
  format: v.literal(MANIFEST_FORMAT),
  shard: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MANIFEST_LIMITS.maxShards - 1)),
  assets: v.pipe(v.array(ManifestAssetSchema), v.maxLength(MANIFEST_LIMITS.maxShardAssets)),
});

export function chunkCount(size: number, chunkSize: number = CHUNK_SIZE): number {
  return Math.ceil(size / chunkSize);
}

/** Byte length of chunk `index` of an asset of `size` bytes. */
export function chunkLength(size: number, index: number, chunkSize: number = CHUNK_SIZE): number {
  return Math.min(chunkSize, size - index * chunkSize);
}

/** How many shards a site of `assetCount` assets publishes. */
export function shardCountFor(assetCount: number): number {
  return Math.min(
    MANIFEST_LIMITS.maxShards,
    Math.max(1, Math.ceil(assetCount / MANIFEST_LIMITS.assetsPerShard)),
  );
}

/** The shard that holds `path`: the first 32 bits of sha-256(path), modulo the shard count. */
export async function shardOf(path: string, shardCount: number): Promise<number> {
  if (shardCount === 1) return 0;
  const digest = await sha256(new TextEncoder().encode(path));
  return new DataView(digest.buffer).getUint32(0) % shardCount;
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
    shards,
    ...(disabled ? { disabled } : {}),
  });
}

/**
 * Parses and verifies an untrusted root (from the network, a file or IndexedDB): its shape, and
 * that its version is the hash of its content. Throws PeerConnectError('bad-manifest') or
 * ('manifest-version-mismatch').
 */
export async function parseManifestRoot(input: unknown): Promise<ManifestRoot> {
  const root = parseWith(RootSchema, input, 'bad-manifest') as ManifestRoot;
  if (root.shards.length !== shardCountFor(root.assetCount)) {
    throw new PeerConnectError(
      'bad-manifest',
      `${root.shards.length} shards for ${root.assetCount} assets`,
    );
  }
  const expected = await sha256Hex(new TextEncoder().encode(canonicalRootContent(root)));
  if (expected !== root.version) {
    throw new PeerConnectError('manifest-version-mismatch', `${root.version} != ${expected}`);
  }
  return root;
}

/**
 * Parses an untrusted shard file as fetched (its exact bytes) and checks it is shard `index`
 * of `root`: its hash is the one the root lists, and every path in it belongs to that shard.
 */
export async function parseManifestShard(
  bytes: Uint8Array<ArrayBuffer>,
  root: ManifestRoot,
  index: number,
): Promise<ManifestShard> {
  const expected = root.shards[index];
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
  if (shard.shard !== index) {
    throw new PeerConnectError('bad-manifest', `shard ${shard.shard} served as ${index}`);
  }
  let previous = '';
  for (const asset of shard.assets) {
    parseManifestAsset(asset);
    if (asset.path <= previous) {
      throw new PeerConnectError('bad-manifest', `${asset.path}: not sorted or duplicated`);
    }
    previous = asset.path;
    if ((await shardOf(asset.path, root.shards.length)) !== index) {
      throw new PeerConnectError('bad-manifest', `${asset.path} is not in shard ${index}`);
    }
  }
  return shard;
}

/** A release as the origin publishes it: the root and each shard's exact bytes. */
export interface ManifestFiles {
  root: ManifestRoot;
  /** Indexed like `root.shards`. */
  shards: Array<{ sha256: string; bytes: Uint8Array<ArrayBuffer>; shard: ManifestShard }>;
}

/** Builds the root and shard files of a release from its assets (any order, unique paths). */
export async function buildManifestFiles(
  assets: readonly ManifestAsset[],
  options: { disabled?: boolean } = {},
): Promise<ManifestFiles> {
  const seen = new Set<string>();
  for (const asset of assets) {
    if (seen.has(asset.path)) throw new PeerConnectError('bad-manifest', `duplicate ${asset.path}`);
    seen.add(asset.path);
  }
  const count = shardCountFor(assets.length);
  const buckets: ManifestAsset[][] = Array.from({ length: count }, () => []);
  for (const { path, size, type, sha256: hash, chunks } of assets) {
    buckets[await shardOf(path, count)]?.push({ path, size, type, sha256: hash, chunks });
  }
  const encoder = new TextEncoder();
  const shards = await Promise.all(
    buckets.map(async (bucket, index) => {
      bucket.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      const shard: ManifestShard = { format: MANIFEST_FORMAT, shard: index, assets: bucket };
      const bytes = encoder.encode(JSON.stringify(shard));
      return { sha256: await sha256Hex(bytes), bytes, shard };
    }),
  );
  const body: Omit<ManifestRoot, 'version'> = {
    format: MANIFEST_FORMAT,
    chunkSize: CHUNK_SIZE,
    assetCount: assets.length,
    shards: shards.map((s) => s.sha256),
    ...(options.disabled ? { disabled: true as const } : {}),
  };
  const version = await sha256Hex(encoder.encode(canonicalRootContent(body)));
  return { root: { ...body, version }, shards };
}

/** URL path of a shard file on the origin: content-addressed, so cacheable for ever. */
export function shardUrlPath(hash: string): string {
  return `${PATHS.shards}${hash}.json`;
}
