import { deleteDB, openDB } from 'idb';
import { describe, expect, it, vi } from 'vitest';
import { STORE_LIMITS, type StoredAsset } from './index.js';
import { asset, storeFixture } from './store-fixture.test-helper.js';

const fx = storeFixture();

describe('AssetStore', () => {
  it('fake-indexeddb keeps a Blob a Blob, bytes and type included', async () => {
    const db = await openDB('blob-check', 1, {
      upgrade: (d) => {
        d.createObjectStore('s');
      },
    });
    await db.put('s', new Blob([new Uint8Array([9, 8, 7])], { type: 'image/png' }), 'k');
    const back = await db.get('s', 'k');
    db.close();
    await deleteDB('blob-check');
    expect(back).toBeInstanceOf(Blob);
    expect((back as Blob).type).toBe('image/png');
    expect([...new Uint8Array(await (back as Blob).arrayBuffer())]).toEqual([9, 8, 7]);
  });

  it('round-trips an asset: record and bytes', async () => {
    const store = await fx.open(10_000);
    const a = asset('a', 1500);
    expect(await store.put(a.meta, a.data)).toBe(true);
    const got = await store.get(a.meta.sha256);
    expect(got).toBeDefined();
    expect(got!.meta).toEqual({ ...a.meta, storedAt: fx.now, usedAt: fx.now, releases: [] });
    expect(got!.data).toBeInstanceOf(Blob);
    expect(new Uint8Array(await got!.data.arrayBuffer())).toEqual(a.bytes);
    expect((await store.getBlob(a.meta.sha256))?.size).toBe(1500);
    expect(await store.get('0'.repeat(64))).toBeUndefined();
    expect(await store.totalBytes()).toBe(1500);
  });

  it('keeps assets across close and reopen, and checks them again after', async () => {
    const a = asset('a', 10);
    let store = await fx.open(100);
    await store.put(a.meta, a.data);
    store = await fx.open(100);
    expect(new Uint8Array(await (await store.getBlob(a.meta.sha256))!.arrayBuffer())).toEqual(
      a.bytes,
    );
  });

  it('has() tells whether a record is present', async () => {
    const store = await fx.open(1000);
    const a = asset('a', 10);
    expect(await store.has(a.meta.sha256)).toBe(false);
    await store.put(a.meta, a.data);
    expect(await store.has(a.meta.sha256)).toBe(true);
    await store.delete(a.meta.sha256);
    expect(await store.has(a.meta.sha256)).toBe(false);
  });

  it('refuses bytes whose size differs from the record', async () => {
    const store = await fx.open(10_000);
    const a = asset('a', 100);
    expect(await store.put({ ...a.meta, size: 99 }, a.data)).toBe(false);
    expect(await store.hashes()).toEqual(new Set());
  });

  it('lists valid records only, deleting a malformed one', async () => {
    const store = await fx.open(10_000);
    const [a, b] = [asset('a', 10), asset('b', 20)];
    await store.put(a.meta, a.data);
    await store.put(b.meta, b.data);
    const record = (await fx.raw('assets', b.meta.sha256)) as StoredAsset;
    await fx.rawPut('assets', { ...record, releases: 'all of them' });
    expect((await store.records()).map((r) => r.sha256)).toEqual([a.meta.sha256]);
    expect(await fx.raw('assets', b.meta.sha256)).toBeUndefined();
    expect(await fx.raw('blobs', b.meta.sha256)).toBeUndefined();
    expect(await store.totalBytes()).toBe(10);
  });

  it('evicts least recently used assets to fit a new one under the budget', async () => {
    const store = await fx.open(300);
    const [a, b, c, d] = [asset('a', 100), asset('b', 100), asset('c', 100), asset('d', 100)];
    fx.now = 1_000;
    await store.put(a.meta, a.data);
    fx.now = 2_000;
    await store.put(b.meta, b.data);
    fx.now = 3_000;
    await store.put(c.meta, c.data);
    expect(await store.totalBytes()).toBe(300);
    // Reading `a` long enough after its last use makes it the most recently used.
    fx.now = 3_000 + STORE_LIMITS.touchIntervalMs + 1;
    expect(await store.get(a.meta.sha256)).toBeDefined();
    expect(((await fx.raw('assets', a.meta.sha256)) as StoredAsset).usedAt).toBe(fx.now);
    fx.now += 1;
    expect(await store.put(d.meta, d.data)).toBe(true);
    expect(await store.hashes()).toEqual(new Set([a.meta.sha256, c.meta.sha256, d.meta.sha256]));
    expect(await store.totalBytes()).toBe(300);
    expect(await store.get(b.meta.sha256)).toBeUndefined();
  });

  it('keeps the budget when many puts run at once', async () => {
    const store = await fx.open(300);
    const items = ['a', 'b', 'c', 'd', 'e', 'f'].map((label) => asset(label, 100));
    const results = await Promise.all(items.map((item) => store.put(item.meta, item.data)));
    expect(results).toEqual(items.map(() => true));
    expect(await store.totalBytes()).toBe(300);
  });

  it('evicts as many as needed, oldest first, and no more', async () => {
    const store = await fx.open(400);
    const [a, b, c, big] = [asset('a', 100), asset('b', 100), asset('c', 100), asset('x', 250)];
    fx.now = 1_000;
    await store.put(a.meta, a.data);
    fx.now = 3_000;
    await store.put(b.meta, b.data);
    fx.now = 2_000;
    await store.put(c.meta, c.data);
    fx.now = 4_000;
    // 300 + 250 > 400: a (used at 1000) then c (2000) go, then 100 + 250 fits; b (3000) stays.
    expect(await store.put(big.meta, big.data)).toBe(true);
    expect(await store.hashes()).toEqual(new Set([b.meta.sha256, big.meta.sha256]));
    expect(await store.totalBytes()).toBe(350);
  });

  it('does not touch usedAt on reads within the touch interval', async () => {
    const store = await fx.open(300);
    const a = asset('a', 10);
    fx.now = 5_000;
    await store.put(a.meta, a.data);
    fx.now = 5_000 + STORE_LIMITS.touchIntervalMs - 1;
    await store.get(a.meta.sha256);
    expect(((await fx.raw('assets', a.meta.sha256)) as StoredAsset).usedAt).toBe(5_000);
  });

  it('replacing an asset does not evict others for its own old size', async () => {
    const store = await fx.open(200);
    const [a, b] = [asset('a', 100), asset('b', 100)];
    await store.put(a.meta, a.data);
    await store.put(b.meta, b.data);
    expect(await store.put(a.meta, a.data)).toBe(true);
    expect(await store.hashes()).toEqual(new Set([a.meta.sha256, b.meta.sha256]));
  });

  it('refuses an asset larger than the whole budget and keeps what it has', async () => {
    const store = await fx.open(300);
    const [a, huge] = [asset('a', 200), asset('h', 301)];
    await store.put(a.meta, a.data);
    expect(await store.put(huge.meta, huge.data)).toBe(false);
    expect(await store.hashes()).toEqual(new Set([a.meta.sha256]));
    expect(await fx.raw('assets', huge.meta.sha256)).toBeUndefined();
    expect(await fx.raw('blobs', huge.meta.sha256)).toBeUndefined();
  });

  it('lists hashes and deletes', async () => {
    const store = await fx.open(1000);
    const list = [asset('a', 1), asset('b', 2), asset('c', 3)];
    for (const item of list) await store.put(item.meta, item.data);
    expect(await store.hashes()).toEqual(new Set(list.map((item) => item.meta.sha256)));
    await store.delete(list[1]!.meta.sha256);
    expect(await store.hashes()).toEqual(new Set([list[0]!.meta.sha256, list[2]!.meta.sha256]));
    expect(await store.totalBytes()).toBe(4);
  });

  it('gets and sets meta values', async () => {
    const store = await fx.open(1000);
    expect(await store.getMeta('manifest')).toBeUndefined();
    const value = { version: 'v1', list: [1, 2, 3] };
    await store.setMeta('manifest', value);
    await store.setMeta('other', 7);
    expect(await store.getMeta('manifest')).toEqual(value);
    await store.setMeta('manifest', 'replaced');
    expect(await store.getMeta('manifest')).toBe('replaced');
    expect(await store.getMeta('other')).toBe(7);
  });

  it('takes its budget from the quota share when none is given', async () => {
    const estimate = vi.fn(async () => ({ quota: 1000, usage: 0 }));
    vi.stubGlobal('navigator', { storage: { estimate } });
    const store = await fx.open();
    expect(estimate).toHaveBeenCalledTimes(1);
    const limit = 1000 * STORE_LIMITS.quotaShare;
    const [over, fits] = [asset('o', limit + 1), asset('f', limit)];
    expect(await store.put(over.meta, over.data)).toBe(false);
    expect(await store.put(fits.meta, fits.data)).toBe(true);
  });

  it('does not ask the StorageManager when a budget is given', async () => {
    const estimate = vi.fn(async () => ({ quota: 10, usage: 0 }));
    vi.stubGlobal('navigator', { storage: { estimate } });
    const store = await fx.open(1000);
    expect(estimate).not.toHaveBeenCalled();
    const a = asset('a', 500);
    expect(await store.put(a.meta, a.data)).toBe(true);
  });

  it('falls back to a fixed cap when the StorageManager fails', async () => {
    vi.stubGlobal('navigator', { storage: { estimate: () => Promise.reject(new Error('no')) } });
    const store = await fx.open();
    const a = asset('a', 5000);
    expect(await store.put(a.meta, a.data)).toBe(true);
  });
});
