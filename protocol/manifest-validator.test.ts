import { describe, expect, it } from 'vitest';
import {
  CHUNK_SIZE,
  createManifest,
  isPeerConnectError,
  type Manifest,
  type ManifestAsset,
  parseAndVerifyManifest,
  parseManifest,
  verifyManifestVersion,
} from './index.js';

// The validator lives in protocol/; these tests pin what it refuses from an untrusted source.

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

/** Sorted by path: index 0 is /b.js (3 bytes), index 1 is /img/a.png (two chunks). */
async function valid(): Promise<Manifest> {
  return createManifest([asset(), asset({ path: '/b.js', size: 3, chunks: [HASH] })]);
}

/** A deep copy of a valid manifest, changed by `edit`, as untyped JSON. */
async function malformed(edit: (m: Record<string, unknown> & Manifest) => void): Promise<unknown> {
  const copy = structuredClone(await valid()) as Record<string, unknown> & Manifest;
  edit(copy);
  return copy;
}

function expectBadManifest(input: unknown, detail: RegExp): void {
  let thrown: unknown;
  try {
    parseManifest(input);
  } catch (err) {
    thrown = err;
  }
  expect(isPeerConnectError(thrown, 'bad-manifest'), String(thrown)).toBe(true);
  expect(String((thrown as Error).message)).toMatch(detail);
}

describe('manifest validator', () => {
  it('accepts a manifest made by createManifest, and verifies its version', async () => {
    const manifest = await valid();
    expect(parseManifest(JSON.parse(JSON.stringify(manifest)))).toEqual(manifest);
    await expect(verifyManifestVersion(manifest)).resolves.toBeUndefined();
  });

  it.each([
    ['format', /format/],
    ['version', /version/],
    ['chunkSize', /chunkSize/],
    ['assets', /assets/],
  ] as const)('rejects a manifest without %s', async (field, detail) => {
    expectBadManifest(
      await malformed((m) => {
        delete m[field];
      }),
      detail,
    );
  });

  it.each(['path', 'size', 'type', 'sha256', 'chunks'] as const)(
    'rejects an asset without %s',
    async (field) => {
      expectBadManifest(
        await malformed((m) => {
          delete (m.assets[0] as Partial<ManifestAsset>)[field];
        }),
        new RegExp(`assets\\.0\\.${field}`),
      );
    },
  );

  it('rejects non-objects and a wrong format or chunk size', async () => {
    expectBadManifest(null, /manifest/);
    expectBadManifest('[]', /manifest/);
    expectBadManifest(await malformed((m) => Object.assign(m, { format: 2 })), /format/);
    expectBadManifest(await malformed((m) => Object.assign(m, { chunkSize: 1024 })), /chunkSize/);
  });

  it('rejects a chunk count that does not match the size', async () => {
    expectBadManifest(
      await malformed((m) => {
        m.assets[1]?.chunks.pop();
      }),
      /1 chunk hashes for 65537 bytes/,
    );
    expectBadManifest(
      await malformed((m) => {
        m.assets[0]?.chunks.push(HASH);
      }),
      /2 chunk hashes for 3 bytes/,
    );
  });

  it('rejects a duplicate path', async () => {
    expectBadManifest(
      await malformed((m) => {
        m.assets.push({ ...(m.assets[0] as ManifestAsset) });
      }),
      /duplicate path/,
    );
  });

  it.each([
    ['uppercase hex', 'A'.repeat(64)],
    ['too short', 'a'.repeat(63)],
    ['not hex', 'g'.repeat(64)],
  ])('rejects a hash in %s', async (_name, bad) => {
    expectBadManifest(
      await malformed((m) => Object.assign(m.assets[1] as ManifestAsset, { sha256: bad })),
      /assets\.1\.sha256/,
    );
    expectBadManifest(
      await malformed((m) => Object.assign(m.assets[1] as ManifestAsset, { chunks: [HASH, bad] })),
      /assets\.1\.chunks\.1/,
    );
    expectBadManifest(await malformed((m) => Object.assign(m, { version: bad })), /version/);
  });

  it.each(['/img/../secret.png', '/./a.png', 'img/a.png', '/a b.png', '/a?x', '/a#x', '/a\\b'])(
    'rejects the path %s',
    async (path) => {
      expectBadManifest(
        await malformed((m) => Object.assign(m.assets[0] as ManifestAsset, { path })),
        /assets\.0\.path/,
      );
    },
  );

  it('rejects negative, fractional and non-numeric sizes', async () => {
    for (const size of [-1, 1.5, '3']) {
      expectBadManifest(
        await malformed((m) => Object.assign(m.assets[1] as object, { size })),
        /assets\.1\.size/,
      );
    }
  });

  it('detects a version that does not match the content', async () => {
    const manifest = await valid();
    const tampered = {
      ...manifest,
      assets: [
        { ...(manifest.assets[0] as ManifestAsset), size: 2 * CHUNK_SIZE },
        manifest.assets[1] as ManifestAsset,
      ],
    };
    await expect(verifyManifestVersion(tampered)).rejects.toSatisfy((err) =>
      isPeerConnectError(err, 'manifest-version-mismatch'),
    );
    await expect(
      parseAndVerifyManifest({ ...manifest, version: 'b'.repeat(64) }),
    ).rejects.toSatisfy((err) => isPeerConnectError(err, 'manifest-version-mismatch'));
  });
});
