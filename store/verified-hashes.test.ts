import { describe, expect, it, vi } from 'vitest';
import { STORE_INTERNALS } from './limits.js';
import type { StoredAsset } from './records.js';
import { asset, storeFixture } from './store-fixture.test-helper.js';
import { VerifiedHashes } from './verified-hashes.js';

const fx = storeFixture();

function countDigests() {
  return vi.spyOn(globalThis.crypto.subtle, 'digest');
}

describe('hash checks on read', () => {
  it('deletes an entry whose bytes were replaced with others of the same size', async () => {
    const [a, b] = [asset('a', 100), asset('b', 100)];
    await writeThenReopen([a, b]);
    await fx.rawPut('blobs', b.data, a.meta.sha256);
    const store = fx.store!;
    expect(await store.get(a.meta.sha256)).toBeUndefined();
    expect(await fx.raw('assets', a.meta.sha256)).toBeUndefined();
    expect(await fx.raw('blobs', a.meta.sha256)).toBeUndefined();
    // The healthy neighbour is untouched.
    expect((await store.get(b.meta.sha256))?.data.size).toBe(100);
  });

  it('hashes each entry once per store instance, and again in a new instance', async () => {
    const a = asset('a', 1000);
    await writeThenReopen([a]);
    const digests = countDigests();
    await fx.store!.get(a.meta.sha256);
    await fx.store!.get(a.meta.sha256);
    expect(digests).toHaveBeenCalledTimes(1);
    await fx.open(10_000);
    await fx.store!.get(a.meta.sha256);
    expect(digests).toHaveBeenCalledTimes(2);
  });

  it('trusts what this instance stored itself (the caller verified it)', async () => {
    const store = await fx.open(10_000);
    const a = asset('a', 1000);
    await store.put(a.meta, a.data);
    const digests = countDigests();
    expect(await store.get(a.meta.sha256)).toBeDefined();
    expect(digests).not.toHaveBeenCalled();
  });

  it('hashes again after a delete and a plant under the same key', async () => {
    const [a, b] = [asset('a', 100), asset('b', 100)];
    const store = await fx.open(10_000);
    await store.put(a.meta, a.data);
    await store.delete(a.meta.sha256);
    await fx.rawPut('assets', {
      ...a.meta,
      storedAt: 1,
      usedAt: 1,
      releases: [],
    } satisfies StoredAsset);
    await fx.rawPut('blobs', b.data, a.meta.sha256);
    expect(await store.get(a.meta.sha256)).toBeUndefined();
  });

  it('drops a record whose size no longer matches its bytes', async () => {
    const store = await fx.open(10_000);
    const a = asset('a', 100);
    await store.put(a.meta, a.data);
    const record = (await fx.raw('assets', a.meta.sha256)) as StoredAsset;
    await fx.rawPut('assets', { ...record, size: 101 });
    expect(await store.get(a.meta.sha256)).toBeUndefined();
    expect(await fx.raw('blobs', a.meta.sha256)).toBeUndefined();
  });

  it('drops a record whose bytes are gone or not a Blob, or whose fields are malformed', async () => {
    const store = await fx.open(10_000);
    const [a, b, c] = [asset('a', 100), asset('b', 100), asset('c', 100)];
    for (const item of [a, b, c]) await store.put(item.meta, item.data);
    await fx.rawPut('blobs', new Uint8Array(100), a.meta.sha256);
    const record = (await fx.raw('assets', b.meta.sha256)) as StoredAsset;
    await fx.rawPut('assets', { ...record, usedAt: 'yesterday' });
    await fx.rawPut('assets', { ...record, sha256: c.meta.sha256, path: '/elsewhere' });
    expect(await store.get(a.meta.sha256)).toBeUndefined();
    expect(await store.get(b.meta.sha256)).toBeUndefined();
    // A well-formed record with another path: the bytes still hash to c, so c is served.
    expect((await store.get(c.meta.sha256))?.meta.path).toBe('/elsewhere');
    expect(await store.hashes()).toEqual(new Set([c.meta.sha256]));
  });
});

describe('VerifiedHashes', () => {
  it('forgets everything when full, so memory stays bounded', async () => {
    const hashes = new VerifiedHashes();
    const a = asset('a', 10);
    expect(await hashes.check(a.meta.sha256, a.data)).toBe(true);
    for (let i = 1; i < STORE_INTERNALS.maxVerifiedHashes; i++) hashes.remember(`h${i}`);
    const digests = countDigests();
    expect(await hashes.check(a.meta.sha256, a.data)).toBe(true);
    expect(digests).not.toHaveBeenCalled();
    hashes.remember('one more');
    expect(await hashes.check(a.meta.sha256, a.data)).toBe(true);
    expect(digests).toHaveBeenCalledTimes(1);
  });

  it('refuses bytes of another hash and does not remember them', async () => {
    const hashes = new VerifiedHashes();
    const [a, b] = [asset('a', 10), asset('b', 10)];
    expect(await hashes.check(a.meta.sha256, b.data)).toBe(false);
    expect(await hashes.check(a.meta.sha256, b.data)).toBe(false);
  });
});

/** Stores through one instance, then reopens so nothing is remembered as verified. */
async function writeThenReopen(items: ReturnType<typeof asset>[]): Promise<void> {
  const store = await fx.open(10_000);
  for (const item of items) await store.put(item.meta, item.data);
  await fx.open(10_000);
}
