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
    expect(shards.map(({ first, sha256 }) => ({ first, sha256 }))).toEqual(root.shards);
    expect(root.shards[0]?.first).toBe('/');
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

const HASH = 'a'.repeat(64);

/** A site's assets at `paths` (a shard's bytes then depend on the paths only). */
function assetsAt(paths: readonly string[]): ManifestAsset[] {
  return paths.map((path) => ({
    path,
    size: 1,
    type: 'text/javascript',
    sha256: HASH,
    chunks: [HASH],
  }));
}

/** `dirs` directories of `perDir` files each, like a site of pages with their own assets. */
function sitePaths(dirs: number, perDir: number): string[] {
  const paths: string[] = [];
  for (let d = 0; d < dirs; d++) {
    for (let f = 0; f < perDir; f++) paths.push(`/section-${d}/page/img-${f}.webp`);
  }
  return paths;
}

/** A root with these shard firsts (hashes made up), for lookups only. */
function rootWithFirsts(firsts: readonly string[]) {
  return { shards: firsts.map((first) => ({ first, sha256: HASH })) };
}

/** A root built from `body` with a version that matches it, as untyped JSON. */
function rootJson(shards: Array<{ first: string; sha256: string }>): unknown {
  const body = { format: MANIFEST_FORMAT, chunkSize: CHUNK_SIZE, assetCount: 1, shards } as const;
  const version = nodeSha256(new TextEncoder().encode(canonicalRootContent(body)));
  return { ...body, version };
}

describe('shardOf', () => {
  const root = rootWithFirsts(['/', '/c', '/f/g', '/m']);

  it('finds the last shard whose first is at most the path', () => {
    expect(shardOf('/', root)).toBe(0);
    expect(shardOf('/a.js', root)).toBe(0);
    expect(shardOf('/b/zzz', root)).toBe(0);
    expect(shardOf('/c', root)).toBe(1);
    expect(shardOf('/c/d', root)).toBe(1);
    expect(shardOf('/f/f', root)).toBe(1);
    expect(shardOf('/f/g', root)).toBe(2);
    expect(shardOf('/f/g/h', root)).toBe(2);
    expect(shardOf('/l~', root)).toBe(2);
    expect(shardOf('/m', root)).toBe(3);
    expect(shardOf('/zzz', root)).toBe(3);
  });

  it('answers shard 0 with one shard, and agrees with a linear scan', () => {
    expect(shardOf('/anything', rootWithFirsts(['/']))).toBe(0);
    const firsts = [
      '/',
      ...Array.from({ length: 99 }, (_, i) => `/p${String(i).padStart(3, '0')}`),
    ];
    const big = rootWithFirsts(firsts);
    for (const path of ['/', '/a', '/p', '/p000', '/p0005', '/p050', '/p098z', '/q']) {
      const linear = firsts.findLastIndex((first) => first <= path);
      expect(shardOf(path, big), path).toBe(linear);
    }
  });
});

describe('sharding by path range', () => {
  it('cuts shards of at least minShardAssets and at most maxShardAssetsBuilt, each verifying', async () => {
    const paths = sitePaths(40, 100);
    const { root, shards } = await buildManifestFiles(assetsAt(paths));
    expect(root.shards.length).toBeGreaterThan(4);
    expect(root.shards[0]?.first).toBe('/');
    let total = 0;
    for (const [index, { bytes }] of shards.entries()) {
      const shard = await parseManifestShard(bytes, root, index);
      expect(shard.assets.length).toBeLessThanOrEqual(MANIFEST_LIMITS.maxShardAssetsBuilt);
      if (index < shards.length - 1) {
        expect(shard.assets.length).toBeGreaterThanOrEqual(MANIFEST_LIMITS.minShardAssets);
      }
      if (index > 0) expect(shard.assets[0]?.path).toBe(root.shards[index]?.first);
      total += shard.assets.length;
    }
    expect(total).toBe(paths.length);
    await expectCode(parseManifestShard(shards[0]!.bytes, root, 1), 'manifest-version-mismatch');
  });

  it('cuts where the path hash hits once the shard is big enough, or forcibly at the cap', async () => {
    const paths = sitePaths(30, 100).sort();
    const { root, shards } = await buildManifestFiles(assetsAt(paths));
    const hits = (path: string) =>
      createHash('sha256').update(path).digest().readUInt32BE(0) %
        MANIFEST_LIMITS.assetsPerShard ===
      0;
    for (const { shard } of shards.slice(0, -1)) {
      const last = shard.assets[shard.assets.length - 1]!.path;
      const size = shard.assets.length;
      expect(size === MANIFEST_LIMITS.maxShardAssetsBuilt || hits(last), last).toBe(true);
      // No earlier path of the shard was a cut point past the minimum.
      const early = shard.assets.slice(MANIFEST_LIMITS.minShardAssets - 1, -1);
      expect(early.some((a) => hits(a.path))).toBe(false);
    }
    expect(root.shards.length).toBe(shards.length);
  });

  it('forces a cut at maxShardAssetsBuilt when no hash hits', async () => {
    // Paths chosen so that none is a content-defined cut point.
    const paths: string[] = [];
    for (let i = 0; paths.length < 2 * MANIFEST_LIMITS.maxShardAssetsBuilt + 10; i++) {
      const path = `/x/${String(i).padStart(6, '0')}`;
      const digest = createHash('sha256').update(path).digest();
      if (digest.readUInt32BE(0) % MANIFEST_LIMITS.assetsPerShard !== 0) paths.push(path);
    }
    const { shards } = await buildManifestFiles(assetsAt(paths));
    expect(shards.map((s) => s.shard.assets.length)).toEqual([
      MANIFEST_LIMITS.maxShardAssetsBuilt,
      MANIFEST_LIMITS.maxShardAssetsBuilt,
      10,
    ]);
  });

  it('publishes one empty shard for an empty site', async () => {
    const { root, shards } = await buildManifestFiles([]);
    expect(root.shards).toEqual([{ first: '/', sha256: shards[0]!.sha256 }]);
    expect((await parseManifestShard(shards[0]!.bytes, root, 0)).assets).toEqual([]);
  });

  it('locality: the assets of one directory lie in at most 3 shards (20k paths, 200 dirs)', async () => {
    const paths = sitePaths(200, 100);
    const { root } = await buildManifestFiles(assetsAt(paths));
    let worst = 0;
    let spans = 0;
    for (let d = 0; d < 200; d++) {
      const dir = paths.filter((p) => p.startsWith(`/section-${d}/`));
      const span = new Set(dir.map((p) => shardOf(p, root))).size;
      worst = Math.max(worst, span);
      spans += span;
    }
    expect(worst).toBeLessThanOrEqual(3);
    // Most directories lie in one shard (the old hash-mod spread put 100 assets in ~57 of 79).
    expect(spans / 200).toBeLessThan(1.5);
  });

  it('stability: adding or removing one file keeps at least 95% of shard hashes (10k paths)', async () => {
    const paths = sitePaths(100, 100);
    const base = await buildManifestFiles(assetsAt(paths));
    const hashes = new Set(base.root.shards.map((s) => s.sha256));
    const kept = (root: { shards: Array<{ sha256: string }> }) =>
      root.shards.filter((s) => hashes.has(s.sha256)).length / root.shards.length;
    for (const changed of [
      [...paths, '/section-42/page/img-new.webp'],
      [...paths, '/section-0/a-first.webp'],
      [...paths, '/zzz-last.webp'],
      paths.filter((p) => p !== '/section-57/page/img-13.webp'),
      paths.filter((p) => p !== paths[0]),
    ]) {
      const { root } = await buildManifestFiles(assetsAt(changed));
      expect(kept(root)).toBeGreaterThanOrEqual(0.95);
      // At most the changed shard and a neighbour are new.
      expect(root.shards.filter((s) => !hashes.has(s.sha256)).length).toBeLessThanOrEqual(2);
    }
  });

  it('names shards by content under PATHS.shards', () => {
    expect(shardUrlPath('b'.repeat(64))).toBe(`/peerconnect/shards/${'b'.repeat(64)}.json`);
  });
});

describe('root and shard checks for ranges', () => {
  it('accepts a root of strictly increasing firsts from /', async () => {
    const json = rootJson([
      { first: '/', sha256: HASH },
      { first: '/b', sha256: HASH },
    ]);
    await expect(parseManifestRoot(json)).resolves.toEqual(json);
  });

  it.each([
    ['unsorted', ['/', '/c', '/b'], /firsts not strictly increasing/],
    ['duplicate', ['/', '/b', '/b'], /firsts not strictly increasing/],
    ['not from /', ['/a', '/b'], /shard 0 starts at \/a/],
    ['not a path', ['/', 'b'], /first/],
    ['a path with ..', ['/', '/a/../b'], /first/],
    ['too long', ['/', `/${'a'.repeat(MANIFEST_LIMITS.maxPathLength)}`], /first/],
  ])('rejects a root whose firsts are %s', async (_name, firsts, detail) => {
    const json = rootJson(firsts.map((first) => ({ first, sha256: HASH })));
    const err = await parseManifestRoot(json).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err instanceof PeerConnectError && err.code === 'bad-manifest', String(err)).toBe(true);
    expect(String(err)).toMatch(detail);
  });

  it('pins the firsts in the version: a moved boundary does not verify', async () => {
    const { root } = await buildManifestFiles(assetsAt(sitePaths(20, 100)));
    expect(root.shards.length).toBeGreaterThan(1);
    const moved = structuredClone(root);
    moved.shards[1]!.first = `${moved.shards[1]!.first}~`;
    await expectCode(parseManifestRoot(moved), 'manifest-version-mismatch');
  });

  it('rejects a root with no shards', async () => {
    await expectCode(parseManifestRoot(rootJson([])), 'bad-manifest');
  });

  /** A root of two shards split at '/m', naming `bytes` as shard `index`. */
  async function rangeRoot(bytes: Uint8Array, index: 0 | 1) {
    const refs = [
      { first: '/', sha256: HASH },
      { first: '/m', sha256: HASH },
    ];
    refs[index] = { ...refs[index]!, sha256: nodeSha256(bytes) };
    return parseManifestRoot(rootJson(refs));
  }

  const shardBytes = (paths: string[]) =>
    new TextEncoder().encode(JSON.stringify({ format: MANIFEST_FORMAT, assets: assetsAt(paths) }));

  it('accepts a shard whose paths lie in its range, boundaries included and excluded right', async () => {
    const low = shardBytes(['/', '/a', '/l~~']);
    await expect(parseManifestShard(low, await rangeRoot(low, 0), 0)).resolves.toBeDefined();
    const high = shardBytes(['/m', '/z']);
    await expect(parseManifestShard(high, await rangeRoot(high, 1), 1)).resolves.toBeDefined();
  });

  it('rejects a shard holding a path outside its range', async () => {
    const past = shardBytes(['/a', '/m']);
    await expectCode(parseManifestShard(past, await rangeRoot(past, 0), 0), 'bad-manifest');
    const before = shardBytes(['/l', '/n']);
    await expectCode(parseManifestShard(before, await rangeRoot(before, 1), 1), 'bad-manifest');
  });

  it('rejects unsorted or duplicate paths, and bytes that do not match the root', async () => {
    const unsorted = shardBytes(['/b', '/a']);
    await expectCode(parseManifestShard(unsorted, await rangeRoot(unsorted, 0), 0), 'bad-manifest');
    const twice = shardBytes(['/a', '/a']);
    await expectCode(parseManifestShard(twice, await rangeRoot(twice, 0), 0), 'bad-manifest');
    const good = shardBytes(['/a']);
    const root = await rangeRoot(good, 0);
    const flipped = good.slice();
    flipped[flipped.length - 3]! ^= 1;
    await expectCode(parseManifestShard(flipped, root, 0), 'manifest-version-mismatch');
    await expectCode(parseManifestShard(good, root, 1), 'manifest-version-mismatch');
    await expectCode(parseManifestShard(good, root, 2), 'bad-manifest');
  });
});

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err instanceof PeerConnectError && err.code === code, String(err)).toBe(true);
}
