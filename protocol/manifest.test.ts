import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CHUNK_SIZE, MANIFEST_FORMAT } from './constants.js';
import { PeerConnectError } from './errors.js';
import {
  buildManifestFiles,
  canonicalRootContent,
  chunkCount,
  chunkLength,
  MANIFEST_LIMITS,
  type ManifestAsset,
  parseManifestRoot,
  parseManifestShard,
  shardCountFor,
  shardOf,
  shardUrlPath,
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

describe('buildManifestFiles and versions', () => {
  const inputs = Promise.all([
    assetOf('/b.png', new Uint8Array(randomBytes(100)), 'image/png'),
    assetOf('/a.js', new Uint8Array(randomBytes(CHUNK_SIZE + 5)), 'text/javascript'),
    assetOf('/c/empty.txt', new Uint8Array(0), 'text/plain'),
  ]);

  it('sorts a shard by path and computes a version that verifies', async () => {
    const assets = await inputs;
    const { root, shards } = await buildManifestFiles(assets);
    expect(root.format).toBe(MANIFEST_FORMAT);
    expect(root.chunkSize).toBe(CHUNK_SIZE);
    expect(root.assetCount).toBe(3);
    expect(shards.map((s) => s.sha256)).toEqual(root.shards);
    expect(shards[0]?.shard.assets.map((a) => a.path)).toEqual(['/a.js', '/b.png', '/c/empty.txt']);
    expect(shards[0]?.sha256).toBe(nodeSha256(shards[0]!.bytes));
    const expected = nodeSha256(new TextEncoder().encode(canonicalRootContent(root)));
    expect(root.version).toBe(expected);
    await expect(parseManifestRoot(root)).resolves.toEqual(root);
  });

  it('does not depend on the order of the assets given, nor reorder the caller array', async () => {
    const assets = await inputs;
    const paths = assets.map((a) => a.path);
    const forward = await buildManifestFiles(assets);
    const backward = await buildManifestFiles([...assets].reverse());
    expect(backward.root.version).toBe(forward.root.version);
    expect(assets.map((a) => a.path)).toEqual(paths);
  });

  it('changes the version when any hashed field changes, and with the kill switch', async () => {
    const assets = await inputs;
    const base = (await buildManifestFiles(assets)).root.version;
    const first = assets[0] as ManifestAsset;
    const variants: ManifestAsset[] = [
      { ...first, path: '/other.png' },
      { ...first, type: 'image/jpeg' },
      { ...first, sha256: 'f'.repeat(64) },
      { ...first, chunks: ['e'.repeat(64)] },
    ];
    for (const variant of variants) {
      const changed = await buildManifestFiles([variant, ...assets.slice(1)]);
      expect(changed.root.version).not.toBe(base);
    }
    const disabled = await buildManifestFiles(assets, { disabled: true });
    expect(disabled.root.disabled).toBe(true);
    expect(disabled.root.version).not.toBe(base);
    expect(disabled.root.shards).toEqual((await buildManifestFiles(assets)).root.shards);
    await expect(parseManifestRoot(disabled.root)).resolves.toEqual(disabled.root);
  });

  it('leaves properties outside the schema out of the shard', async () => {
    const assets = await inputs;
    const extra = assets.map((a) => ({ ...a, note: 'x' }));
    const plain = await buildManifestFiles(assets);
    expect((await buildManifestFiles(extra)).root.version).toBe(plain.root.version);
  });
});

describe('sharding', () => {
  it('publishes one shard per ~256 assets, at most 4096', () => {
    expect(shardCountFor(0)).toBe(1);
    expect(shardCountFor(256)).toBe(1);
    expect(shardCountFor(257)).toBe(2);
    expect(shardCountFor(100_000)).toBe(391);
    expect(shardCountFor(MANIFEST_LIMITS.maxShards * 256 + 1)).toBe(MANIFEST_LIMITS.maxShards);
  });

  it('puts each path in the shard the first 32 bits of its sha-256 name', async () => {
    const path = '/img/photo 1.jpg';
    const digest = createHash('sha256').update(path).digest();
    expect(await shardOf(path, 7)).toBe(digest.readUInt32BE(0) % 7);
    expect(await shardOf(path, 1)).toBe(0);
  });

  it('spreads 2,000 assets over 8 shards, each verifying against the root', async () => {
    const hash = 'a'.repeat(64);
    const assets = Array.from({ length: 2000 }, (_, i) => ({
      path: `/f/${i}.js`,
      size: 1,
      type: 'text/javascript',
      sha256: hash,
      chunks: [hash],
    }));
    const { root, shards } = await buildManifestFiles(assets);
    expect(root.shards).toHaveLength(8);
    let total = 0;
    for (const [index, { bytes }] of shards.entries()) {
      const shard = await parseManifestShard(bytes, root, index);
      // An even spread: no shard holds twice its share.
      expect(shard.assets.length).toBeLessThan(2 * (2000 / 8));
      total += shard.assets.length;
    }
    expect(total).toBe(2000);
    await expectCode(parseManifestShard(shards[0]!.bytes, root, 1), 'manifest-version-mismatch');
  });

  it('names shards by content under PATHS.shards', () => {
    expect(shardUrlPath('b'.repeat(64))).toBe(`/peerconnect/shards/${'b'.repeat(64)}.json`);
  });
});

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err instanceof PeerConnectError && err.code === code, String(err)).toBe(true);
}
