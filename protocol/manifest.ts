import * as v from 'valibot';
import { CHUNK_SIZE, MANIFEST_FORMAT } from './constants.js';
import { PeerConnectError } from './errors.js';
import { SHA256_HEX, sha256Hex } from './hash.js';
import { parseWith } from './validate.js';

/**
 * The manifest is the only thing peers trust: the origin publishes, for each static asset, its
 * size, type and the sha-256 of the whole file and of every CHUNK_SIZE chunk. Its `version` is
 * the sha-256 of its canonical content, so two peers with the same version agree on every hash.
 */
export interface ManifestAsset {
  /** URL path on the origin, starting with '/', percent-encoded as a browser would request it. */
  path: string;
  size: number;
  /** Content-Type the origin serves. */
  type: string;
  /** sha-256 (hex) of the whole file. */
  sha256: string;
  /** sha-256 (hex) of each CHUNK_SIZE chunk, in order; empty for an empty file. */
  chunks: string[];
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: string;
  chunkSize: typeof CHUNK_SIZE;
  assets: ManifestAsset[];
}

/** Limits that keep a hostile or broken manifest from exhausting memory. */
export const MANIFEST_LIMITS = {
  maxAssets: 100_000,
  maxPathLength: 2048,
  maxAssetSize: 4 * 1024 * 1024 * 1024,
  maxTypeLength: 200,
} as const;

const Sha256 = v.pipe(v.string(), v.regex(SHA256_HEX, 'must be a lowercase hex sha-256'));

const AssetSchema = v.object({
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
  chunks: v.array(Sha256),
});

const ManifestSchema = v.object({
  format: v.literal(MANIFEST_FORMAT),
  version: Sha256,
  chunkSize: v.literal(CHUNK_SIZE),
  assets: v.pipe(v.array(AssetSchema), v.maxLength(MANIFEST_LIMITS.maxAssets)),
});

export function chunkCount(size: number, chunkSize: number = CHUNK_SIZE): number {
  return Math.ceil(size / chunkSize);
}

/** Byte length of chunk `index` of an asset of `size` bytes. */
export function chunkLength(size: number, index: number, chunkSize: number = CHUNK_SIZE): number {
  return Math.min(chunkSize, size - index * chunkSize);
}

/**
 * Checks the shape and the internal consistency of an untrusted manifest (from the network, a
 * file or IndexedDB). Throws PeerConnectError('bad-manifest') naming the first problem.
 * It does not recompute `version`; use `verifyManifestVersion` for that.
 */
export function parseManifest(input: unknown): Manifest {
  const manifest = parseWith(ManifestSchema, input, 'bad-manifest') as Manifest;
  const seen = new Set<string>();
  for (const asset of manifest.assets) {
    if (seen.has(asset.path)) {
      throw new PeerConnectError('bad-manifest', `duplicate path ${asset.path}`);
    }
    seen.add(asset.path);
    if (asset.chunks.length !== chunkCount(asset.size)) {
      throw new PeerConnectError(
        'bad-manifest',
        `${asset.path}: ${asset.chunks.length} chunk hashes for ${asset.size} bytes`,
      );
    }
  }
  return manifest;
}

/** The canonical text that `version` hashes: everything but the version, assets by path. */
export function canonicalManifestContent(manifest: Omit<Manifest, 'version'>): string {
  const assets = [...manifest.assets]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map(({ path, size, type, sha256, chunks }) => ({ path, size, type, sha256, chunks }));
  return JSON.stringify({ format: manifest.format, chunkSize: manifest.chunkSize, assets });
}

export async function computeManifestVersion(manifest: Omit<Manifest, 'version'>): Promise<string> {
  return sha256Hex(new TextEncoder().encode(canonicalManifestContent(manifest)));
}

/** Builds a complete manifest (assets sorted by path, version computed). */
export async function createManifest(assets: ManifestAsset[]): Promise<Manifest> {
  const sorted = [...assets].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const body = { format: MANIFEST_FORMAT, chunkSize: CHUNK_SIZE, assets: sorted } as const;
  return {
    format: body.format,
    version: await computeManifestVersion(body),
    chunkSize: body.chunkSize,
    assets: sorted,
  };
}

export async function verifyManifestVersion(manifest: Manifest): Promise<void> {
  const expected = await computeManifestVersion(manifest);
  if (expected !== manifest.version) {
    throw new PeerConnectError('manifest-version-mismatch', `${manifest.version} != ${expected}`);
  }
}

/** Parses and verifies an untrusted manifest in one step. */
export async function parseAndVerifyManifest(input: unknown): Promise<Manifest> {
  const manifest = parseManifest(input);
  await verifyManifestVersion(manifest);
  return manifest;
}

/** Fast lookup of an asset by URL path and by index (the index peers use on the wire). */
export class ManifestIndex {
  private readonly byPath = new Map<string, number>();
  constructor(readonly manifest: Manifest) {
    manifest.assets.forEach((asset, i) => {
      this.byPath.set(asset.path, i);
    });
  }
  get version(): string {
    return this.manifest.version;
  }
  get size(): number {
    return this.manifest.assets.length;
  }
  indexOf(path: string): number | undefined {
    return this.byPath.get(path);
  }
  get(index: number): ManifestAsset | undefined {
    return this.manifest.assets[index];
  }
  byUrlPath(path: string): ManifestAsset | undefined {
    const i = this.byPath.get(path);
    return i === undefined ? undefined : this.manifest.assets[i];
  }
}
