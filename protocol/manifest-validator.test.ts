import { describe, expect, it } from 'vitest';
import {
  buildManifestFiles,
  CHUNK_SIZE,
  isPeerConnectError,
  type ManifestAsset,
  type ManifestFiles,
  parseManifestAsset,
  parseManifestRoot,
  parseManifestShard,
} from './index.js';

// The validators live in protocol/; these tests pin what they refuse from an untrusted source.

const HASH = 'a'.repeat(64);

function asset(overrides: Partial<ManifestAsset> = {}): ManifestAsset {
  return {
    path: '/img/a.png',
    size: CHUNK_SIZE + 1,
    type: 'image/png',
    sha256: HASH,
    chunks: [HASH, HASH],
    ...overrides,
  };
}

/** One shard, sorted by path: asset 0 is /b.js (3 bytes), asset 1 is /img/a.png (two chunks). */
function valid(): Promise<ManifestFiles> {
  return buildManifestFiles([asset(), asset({ path: '/b.js', size: 3, chunks: [HASH] })]);
}

/** A copy of the valid root, changed by `edit`, as untyped JSON. */
async function root(edit: (r: Record<string, unknown>) => void): Promise<unknown> {
  const copy = structuredClone((await valid()).root) as unknown as Record<string, unknown>;
  edit(copy);
  return copy;
}

async function expectRejected(promise: Promise<unknown>, code: string, detail: RegExp) {
  const thrown = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isPeerConnectError(thrown, code as 'bad-manifest'), String(thrown)).toBe(true);
  expect(String((thrown as Error).message)).toMatch(detail);
}

function expectBadAsset(input: unknown, detail: RegExp): void {
  let thrown: unknown;
  try {
    parseManifestAsset(input);
  } catch (err) {
    thrown = err;
  }
  expect(isPeerConnectError(thrown, 'bad-manifest'), String(thrown)).toBe(true);
  expect(String((thrown as Error).message)).toMatch(detail);
}

describe('manifest root validator', () => {
  it('accepts a root made by buildManifestFiles, round-tripped through JSON', async () => {
    const { root: made } = await valid();
    await expect(parseManifestRoot(JSON.parse(JSON.stringify(made)))).resolves.toEqual(made);
  });

  it.each(['format', 'version', 'chunkSize', 'assetCount', 'shards'])(
    'rejects a root without %s',
    async (field) => {
      await expectRejected(
        parseManifestRoot(await root((r) => delete r[field])),
        'bad-manifest',
        new RegExp(field),
      );
    },
  );

  it('rejects non-objects, a wrong format or chunk size, shards not in path order from /', async () => {
    await expectRejected(parseManifestRoot(null), 'bad-manifest', /./);
    await expectRejected(parseManifestRoot('[]'), 'bad-manifest', /./);
    await expectRejected(
      parseManifestRoot(await root((r) => (r.format = 1))),
      'bad-manifest',
      /format/,
    );
    await expectRejected(
      parseManifestRoot(await root((r) => (r.chunkSize = 1024))),
      'bad-manifest',
      /chunkSize/,
    );
    await expectRejected(
      parseManifestRoot(await root((r) => (r.shards = [HASH, HASH]))),
      'bad-manifest',
      /shards\.0/,
    );
    await expectRejected(
      parseManifestRoot(await root((r) => (r.shards = [{ first: '/b', sha256: HASH }]))),
      'bad-manifest',
      /shard 0 starts at \/b/,
    );
    await expectRejected(
      parseManifestRoot(
        await root(
          (r) =>
            (r.shards = [
              { first: '/', sha256: HASH },
              { first: '/', sha256: HASH },
            ]),
        ),
      ),
      'bad-manifest',
      /not strictly increasing/,
    );
    await expectRejected(
      parseManifestRoot(await root((r) => (r.shards = []))),
      'bad-manifest',
      /shards/,
    );
    await expectRejected(
      parseManifestRoot(await root((r) => (r.disabled = false))),
      'bad-manifest',
      /disabled/,
    );
  });

  it('detects a version that does not match the content (a flipped kill switch too)', async () => {
    await expectRejected(
      parseManifestRoot(await root((r) => (r.assetCount = 3))),
      'manifest-version-mismatch',
      /!=/,
    );
    await expectRejected(
      parseManifestRoot(await root((r) => (r.disabled = true))),
      'manifest-version-mismatch',
      /!=/,
    );
    await expectRejected(
      parseManifestRoot(await root((r) => (r.version = 'b'.repeat(64)))),
      'manifest-version-mismatch',
      /!=/,
    );
  });
});

describe('manifest shard validator', () => {
  it('accepts the shard the root names, and refuses other bytes, indexes or orders', async () => {
    const files = await valid();
    const shard = files.shards[0]!;
    await expect(parseManifestShard(shard.bytes, files.root, 0)).resolves.toEqual(shard.shard);
    await expectRejected(
      parseManifestShard(shard.bytes, files.root, 1),
      'bad-manifest',
      /no shard 1/,
    );
    const edited = new TextEncoder().encode(
      JSON.stringify({ ...shard.shard, assets: [...shard.shard.assets].reverse() }),
    );
    await expectRejected(
      parseManifestShard(edited, files.root, 0),
      'manifest-version-mismatch',
      /does not match/,
    );
  });
});

describe('manifest asset validator', () => {
  it.each(['path', 'size', 'type', 'sha256', 'chunks'] as const)(
    'rejects an asset without %s',
    (field) => {
      const copy: Partial<ManifestAsset> = asset();
      delete copy[field];
      expectBadAsset(copy, new RegExp(field));
    },
  );

  it('rejects a chunk count that does not match the size', () => {
    expectBadAsset(asset({ chunks: [HASH] }), /1 chunk hashes for 65537 bytes/);
    expectBadAsset(asset({ size: 3 }), /2 chunk hashes for 3 bytes/);
  });

  it.each([
    ['uppercase hex', 'A'.repeat(64)],
    ['too short', 'a'.repeat(63)],
    ['not hex', 'g'.repeat(64)],
  ])('rejects a hash in %s', (_name, bad) => {
    expectBadAsset(asset({ sha256: bad }), /sha256/);
    expectBadAsset(asset({ chunks: [HASH, bad] }), /chunks\.1/);
  });

  it.each(['/img/../secret.png', '/./a.png', 'img/a.png', '/a b.png', '/a?x', '/a#x', '/a\\b'])(
    'rejects the path %s',
    (path) => expectBadAsset(asset({ path }), /path/),
  );

  it('rejects negative, fractional and non-numeric sizes', () => {
    for (const size of [-1, 1.5, '3']) expectBadAsset({ ...asset(), size }, /size/);
  });

  it('rejects a duplicate path when building', async () => {
    await expectRejected(buildManifestFiles([asset(), asset()]), 'bad-manifest', /duplicate/);
  });
});
