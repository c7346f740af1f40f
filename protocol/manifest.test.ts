import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CHUNK_SIZE, MANIFEST_FORMAT } from './constants.js';
import { PeerConnectError } from './errors.js';
import { sha256Hex } from './hash.js';
import {
  canonicalManifestContent,
  chunkCount,
  chunkLength,
  computeManifestVersion,
  createManifest,
  type ManifestAsset,
  ManifestIndex,
  parseAndVerifyManifest,
  verifyManifestVersion,
} from './manifest.js';
import { verifyChunk } from './verify.js';

/** A manifest entry computed independently of the code under test (node:crypto hashes). */
function nodeSha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function assetOf(path: string, bytes: Uint8Array, type = 'application/octet-stream') {
  const chunks: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += CHUNK_SIZE) {
    chunks.push(nodeSha256(bytes.subarray(offset, offset + CHUNK_SIZE)));
  }
  const asset: ManifestAsset = {
    path,
    size: bytes.length,
    type,
    sha256: nodeSha256(bytes),
    chunks,
  };
  return asset;
}

function chunkOf(bytes: Uint8Array, index: number): Uint8Array<ArrayBuffer> {
  return bytes.slice(index * CHUNK_SIZE, (index + 1) * CHUNK_SIZE);
}

describe('chunkCount and chunkLength', () => {
  it('count whole and partial chunks', () => {
    expect(chunkCount(0)).toBe(0);
    expect(chunkCount(1)).toBe(1);
    expect(chunkCount(CHUNK_SIZE)).toBe(1);
    expect(chunkCount(CHUNK_SIZE + 1)).toBe(2);
    expect(chunkCount(3 * CHUNK_SIZE)).toBe(3);
    expect(chunkCount(10, 4)).toBe(3);
  });

  it('give the short length of the last chunk only', () => {
    const size = 2 * CHUNK_SIZE + 100;
    expect(chunkLength(size, 0)).toBe(CHUNK_SIZE);
    expect(chunkLength(size, 1)).toBe(CHUNK_SIZE);
    expect(chunkLength(size, 2)).toBe(100);
    expect(chunkLength(CHUNK_SIZE, 0)).toBe(CHUNK_SIZE);
    expect(chunkLength(10, 2, 4)).toBe(2);
    let total = 0;
    for (let i = 0; i < chunkCount(size); i++) total += chunkLength(size, i);
    expect(total).toBe(size);
  });
});

describe('verifyChunk', () => {
  const bytes = new Uint8Array(randomBytes(2 * CHUNK_SIZE + 1234));
  const assetPromise = assetOf('/blob.bin', bytes);

  it('accepts every chunk with the right bytes, as ArrayBuffer or Uint8Array', async () => {
    const asset = await assetPromise;
    expect(asset.chunks).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      const chunk = chunkOf(bytes, i);
      expect(await verifyChunk(asset, i, chunk)).toBe(true);
      expect(await verifyChunk(asset, i, chunk.buffer)).toBe(true);
    }
  });

  it('rejects a chunk with one flipped byte', async () => {
    const asset = await assetPromise;
    for (const [index, at] of [
      [0, 0],
      [1, CHUNK_SIZE - 1],
      [2, 1233],
    ] as const) {
      const chunk = chunkOf(bytes, index);
      chunk[at]! ^= 0x01;
      expect(await verifyChunk(asset, index, chunk)).toBe(false);
    }
  });

  it('rejects a short or long last chunk and a short middle chunk', async () => {
    const asset = await assetPromise;
    const last = chunkOf(bytes, 2);
    expect(await verifyChunk(asset, 2, last.slice(0, last.length - 1))).toBe(false);
    const longer = new Uint8Array(last.length + 1);
    longer.set(last);
    expect(await verifyChunk(asset, 2, longer)).toBe(false);
    expect(await verifyChunk(asset, 1, chunkOf(bytes, 1).slice(0, 1234))).toBe(false);
  });

  it('rejects right bytes under the wrong index, and indexes out of range', async () => {
    const asset = await assetPromise;
    expect(await verifyChunk(asset, 1, chunkOf(bytes, 0))).toBe(false);
    expect(await verifyChunk(asset, 0, chunkOf(bytes, 1))).toBe(false);
    expect(await verifyChunk(asset, 3, chunkOf(bytes, 2))).toBe(false);
    expect(await verifyChunk(asset, -1, chunkOf(bytes, 0))).toBe(false);
    expect(await verifyChunk(asset, 0.5, chunkOf(bytes, 0))).toBe(false);
  });

  it('two identical chunks at different indexes both verify', async () => {
    const repeated = new Uint8Array(2 * CHUNK_SIZE).fill(7);
    const asset = await assetOf('/sevens', repeated);
    expect(await verifyChunk(asset, 0, chunkOf(repeated, 1))).toBe(true);
    expect(await verifyChunk(asset, 1, chunkOf(repeated, 0))).toBe(true);
  });
});

describe('createManifest and versions', () => {
  const inputs = Promise.all([
    assetOf('/b.png', new Uint8Array(randomBytes(100)), 'image/png'),
    assetOf('/a.js', new Uint8Array(randomBytes(CHUNK_SIZE + 5)), 'text/javascript'),
    assetOf('/c/empty.txt', new Uint8Array(0), 'text/plain'),
  ]);

  it('sorts assets by path and computes a version that verifies', async () => {
    const assets = await inputs;
    const manifest = await createManifest(assets);
    expect(manifest.format).toBe(MANIFEST_FORMAT);
    expect(manifest.chunkSize).toBe(CHUNK_SIZE);
    expect(manifest.assets.map((a) => a.path)).toEqual(['/a.js', '/b.png', '/c/empty.txt']);
    expect(manifest.version).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.version).toBe(
      nodeSha256(new TextEncoder().encode(canonicalManifestContent(manifest))),
    );
    expect(await sha256Hex(new Uint8Array(0))).toBe(nodeSha256(new Uint8Array(0)));
    await expect(verifyManifestVersion(manifest)).resolves.toBeUndefined();
    await expect(parseAndVerifyManifest(JSON.parse(JSON.stringify(manifest)))).resolves.toEqual(
      manifest,
    );
  });

  it('does not depend on the order of the assets given', async () => {
    const assets = await inputs;
    const versions = new Set<string>();
    for (const order of [
      [0, 1, 2],
      [2, 1, 0],
      [1, 0, 2],
      [1, 2, 0],
    ]) {
      const manifest = await createManifest(order.map((i) => assets[i]!));
      versions.add(manifest.version);
      expect(manifest.assets.map((a) => a.path)).toEqual(['/a.js', '/b.png', '/c/empty.txt']);
    }
    expect(versions.size).toBe(1);
    expect(await computeManifestVersion({ format: 1, chunkSize: CHUNK_SIZE, assets })).toBe(
      [...versions][0],
    );
  });

  it('does not reorder the caller array', async () => {
    const assets = await inputs;
    const before = assets.map((a) => a.path);
    await createManifest(assets);
    expect(assets.map((a) => a.path)).toEqual(before);
  });

  it('changes the version when any hashed field changes', async () => {
    const assets = await inputs;
    const base = (await createManifest(assets)).version;
    const [b, a, c] = assets as [ManifestAsset, ManifestAsset, ManifestAsset];
    const variants: ManifestAsset[][] = [
      [{ ...b, type: 'image/jpeg' }, a, c],
      [{ ...b, path: '/b2.png' }, a, c],
      [{ ...b, size: b.size + 1 }, a, c],
      [{ ...b, sha256: '0'.repeat(64) }, a, c],
      [b, { ...a, chunks: [...a.chunks].reverse() }, c],
      [b, a],
    ];
    const versions = await Promise.all(
      variants.map(async (v) => (await createManifest(v)).version),
    );
    for (const version of versions) expect(version).not.toBe(base);
    expect(new Set(versions).size).toBe(variants.length);
  });

  it('ignores properties outside the schema when hashing', async () => {
    const assets = await inputs;
    const manifest = await createManifest(assets);
    const extra = { ...manifest, assets: manifest.assets.map((a) => ({ ...a, note: 'x' })) };
    await expect(verifyManifestVersion(extra)).resolves.toBeUndefined();
    const canonical = JSON.parse(canonicalManifestContent(extra));
    expect(Object.keys(canonical)).toEqual(['format', 'chunkSize', 'assets']);
    expect(Object.keys(canonical.assets[0])).toEqual(['path', 'size', 'type', 'sha256', 'chunks']);
  });

  it('verifyManifestVersion rejects a tampered manifest or a wrong version', async () => {
    const manifest = await createManifest(await inputs);
    const tampered = {
      ...manifest,
      assets: manifest.assets.map((a, i) => (i === 0 ? { ...a, size: a.size + 1 } : a)),
    };
    await expect(verifyManifestVersion(tampered)).rejects.toSatisfy(
      (err) => err instanceof PeerConnectError && err.code === 'manifest-version-mismatch',
    );
    await expect(verifyManifestVersion({ ...manifest, version: 'f'.repeat(64) })).rejects.toThrow(
      PeerConnectError,
    );
  });
});

describe('ManifestIndex', () => {
  it('finds assets by path and by wire index', async () => {
    const manifest = await createManifest([
      await assetOf('/z.css', new Uint8Array([1])),
      await assetOf('/img/a%20b.jpg', new Uint8Array([2, 3])),
      await assetOf('/m.js', new Uint8Array([4, 5, 6])),
    ]);
    const index = new ManifestIndex(manifest);
    expect(index.version).toBe(manifest.version);
    expect(index.size).toBe(3);
    for (const [i, asset] of manifest.assets.entries()) {
      expect(index.indexOf(asset.path)).toBe(i);
      expect(index.get(i)).toBe(asset);
      expect(index.byUrlPath(asset.path)).toBe(asset);
    }
    expect(index.indexOf('/img/a%20b.jpg')).toBe(0);
    expect(index.get(1)?.size).toBe(3);
    expect(index.indexOf('/missing')).toBeUndefined();
    expect(index.indexOf('/img/a b.jpg')).toBeUndefined();
    expect(index.byUrlPath('/missing')).toBeUndefined();
    expect(index.get(3)).toBeUndefined();
    expect(index.get(-1)).toBeUndefined();
  });
});
