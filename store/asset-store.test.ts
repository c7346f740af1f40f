import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { deleteDB, openDB } from 'idb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type AssetMeta, AssetStore, STORE_LIMITS, type StoredAsset } from './asset-store.js';

/*
 * Blob in fake-indexeddb on Node 20: fake-indexeddb clones values with the global
 * `structuredClone`, which in Node 20 clones a Blob into a real Blob (size, type and bytes
 * intact); the first test below checks that rather than assuming it.
 */

const DB_NAME = 'peerconnect';

function asset(label: string, size: number): { meta: AssetMeta; data: Blob; bytes: Uint8Array } {
  const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 31 + label.charCodeAt(0)) & 0xff);
  const sha256 = createHash('sha256').update(bytes).update(label).digest('hex');
  return {
    meta: { sha256, path: `/${label}`, size, type: 'application/octet-stream' },
    data: new Blob([bytes]),
    bytes,
  };
}

async function rawRecord(sha256: string): Promise<{ record: unknown; blob: unknown }> {
  const db = await openDB(DB_NAME, 1);
  try {
    return { record: await db.get('assets', sha256), blob: await db.get('blobs', sha256) };
  } finally {
    db.close();
  }
}

async function rawPut(store: 'assets' | 'blobs', value: unknown, key?: string): Promise<void> {
  const db = await openDB(DB_NAME, 1);
  try {
    await db.put(store, value, key);
  } finally {
    db.close();
  }
}

let store: AssetStore | undefined;
let now = 1_000_000;

beforeEach(() => {
  now = 1_000_000;
  vi.spyOn(Date, 'now').mockImplementation(() => now);
});

afterEach(async () => {
  store?.close();
  store = undefined;
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  await deleteDB(DB_NAME);
});

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
    store = await AssetStore.open({ budgetBytes: 10_000 });
    const a = asset('a', 1500);
    expect(await store.put(a.meta, a.data)).toBe(true);
    const got = await store.get(a.meta.sha256);
    expect(got).toBeDefined();
    expect(got!.meta).toEqual({ ...a.meta, storedAt: now, usedAt: now });
    expect(got!.data).toBeInstanceOf(Blob);
    expect(new Uint8Array(await got!.data.arrayBuffer())).toEqual(a.bytes);
    const blob = await store.getBlob(a.meta.sha256);
    expect(blob?.size).toBe(1500);
    expect(await store.get('0'.repeat(64))).toBeUndefined();
    expect(await store.totalBytes()).toBe(1500);
  });

  it('keeps assets across close and reopen', async () => {
    const a = asset('a', 10);
    store = await AssetStore.open({ budgetBytes: 100 });
    await store.put(a.meta, a.data);
    store.close();
    store = await AssetStore.open({ budgetBytes: 100 });
    expect(new Uint8Array(await (await store.getBlob(a.meta.sha256))!.arrayBuffer())).toEqual(
      a.bytes,
    );
  });

  it('refuses bytes whose size differs from the record', async () => {
    store = await AssetStore.open({ budgetBytes: 10_000 });
    const a = asset('a', 100);
    expect(await store.put({ ...a.meta, size: 99 }, a.data)).toBe(false);
    expect(await store.hashes()).toEqual(new Set());
  });

  it('drops a record whose size no longer matches its bytes', async () => {
    store = await AssetStore.open({ budgetBytes: 10_000 });
    const a = asset('a', 100);
    const b = asset('b', 50);
    await store.put(a.meta, a.data);
    await store.put(b.meta, b.data);
    const { record } = await rawRecord(a.meta.sha256);
    await rawPut('assets', { ...(record as StoredAsset), size: 101 });
    expect(await store.get(a.meta.sha256)).toBeUndefined();
    expect(await rawRecord(a.meta.sha256)).toEqual({ record: undefined, blob: undefined });
    expect(await store.hashes()).toEqual(new Set([b.meta.sha256]));
    // The healthy neighbour is untouched.
    expect((await store.get(b.meta.sha256))?.data.size).toBe(50);
  });

  it('drops a record whose bytes are gone or whose fields are malformed', async () => {
    store = await AssetStore.open({ budgetBytes: 10_000 });
    const a = asset('a', 100);
    const b = asset('b', 100);
    await store.put(a.meta, a.data);
    await store.put(b.meta, b.data);
    await rawPut('blobs', new Uint8Array(100), a.meta.sha256);
    const { record } = await rawRecord(b.meta.sha256);
    await rawPut('assets', { ...(record as StoredAsset), usedAt: 'yesterday' });
    expect(await store.get(a.meta.sha256)).toBeUndefined();
    expect(await store.get(b.meta.sha256)).toBeUndefined();
    expect(await store.hashes()).toEqual(new Set());
    expect(await rawRecord(b.meta.sha256)).toEqual({ record: undefined, blob: undefined });
  });

  it('evicts least recently used assets to fit a new one under the budget', async () => {
    store = await AssetStore.open({ budgetBytes: 300 });
    const [a, b, c, d] = [asset('a', 100), asset('b', 100), asset('c', 100), asset('d', 100)];
    now = 1_000;
    await store.put(a.meta, a.data);
    now = 2_000;
    await store.put(b.meta, b.data);
    now = 3_000;
    await store.put(c.meta, c.data);
    expect(await store.totalBytes()).toBe(300);
    // Reading `a` long enough after its last use makes it the most recently used.
    now = 3_000 + STORE_LIMITS.touchIntervalMs + 1;
    expect(await store.get(a.meta.sha256)).toBeDefined();
    expect(((await rawRecord(a.meta.sha256)).record as StoredAsset).usedAt).toBe(now);
    now += 1;
    expect(await store.put(d.meta, d.data)).toBe(true);
    expect(await store.hashes()).toEqual(new Set([a.meta.sha256, c.meta.sha256, d.meta.sha256]));
    expect(await store.totalBytes()).toBe(300);
    expect(await store.get(b.meta.sha256)).toBeUndefined();
  });

  it('evicts as many as needed, oldest first, and no more', async () => {
    store = await AssetStore.open({ budgetBytes: 400 });
    const [a, b, c, big] = [asset('a', 100), asset('b', 100), asset('c', 100), asset('x', 250)];
    now = 1_000;
    await store.put(a.meta, a.data);
    now = 3_000;
    await store.put(b.meta, b.data);
    now = 2_000;
    await store.put(c.meta, c.data);
    now = 4_000;
    // 300 + 250 > 400: a (used at 1000) then c (2000) go, then 100 + 250 fits; b (3000) stays.
    expect(await store.put(big.meta, big.data)).toBe(true);
    expect(await store.hashes()).toEqual(new Set([b.meta.sha256, big.meta.sha256]));
    expect(await store.totalBytes()).toBe(350);
  });

  it('does not touch usedAt on reads within the touch interval', async () => {
    store = await AssetStore.open({ budgetBytes: 300 });
    const a = asset('a', 10);
    now = 5_000;
    await store.put(a.meta, a.data);
    now = 5_000 + STORE_LIMITS.touchIntervalMs - 1;
    await store.get(a.meta.sha256);
    expect(((await rawRecord(a.meta.sha256)).record as StoredAsset).usedAt).toBe(5_000);
  });

  it('replacing an asset does not evict others for its own old size', async () => {
    store = await AssetStore.open({ budgetBytes: 200 });
    const a = asset('a', 100);
    const b = asset('b', 100);
    await store.put(a.meta, a.data);
    await store.put(b.meta, b.data);
    expect(await store.put(a.meta, a.data)).toBe(true);
    expect(await store.hashes()).toEqual(new Set([a.meta.sha256, b.meta.sha256]));
  });

  it('refuses an asset larger than the whole budget and keeps what it has', async () => {
    store = await AssetStore.open({ budgetBytes: 300 });
    const a = asset('a', 200);
    const huge = asset('h', 301);
    await store.put(a.meta, a.data);
    expect(await store.put(huge.meta, huge.data)).toBe(false);
    expect(await store.hashes()).toEqual(new Set([a.meta.sha256]));
    expect(await rawRecord(huge.meta.sha256)).toEqual({ record: undefined, blob: undefined });
  });

  it('lists hashes and deletes', async () => {
    store = await AssetStore.open({ budgetBytes: 1000 });
    const list = [asset('a', 1), asset('b', 2), asset('c', 3)];
    for (const item of list) await store.put(item.meta, item.data);
    expect(await store.hashes()).toEqual(new Set(list.map((item) => item.meta.sha256)));
    await store.delete(list[1]!.meta.sha256);
    expect(await store.hashes()).toEqual(new Set([list[0]!.meta.sha256, list[2]!.meta.sha256]));
    expect(await store.totalBytes()).toBe(4);
  });

  it('gets and sets meta values', async () => {
    store = await AssetStore.open({ budgetBytes: 1000 });
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
    store = await AssetStore.open();
    expect(estimate).toHaveBeenCalledTimes(1);
    const limit = 1000 * STORE_LIMITS.quotaShare;
    const over = asset('o', limit + 1);
    const fits = asset('f', limit);
    expect(await store.put(over.meta, over.data)).toBe(false);
    expect(await store.put(fits.meta, fits.data)).toBe(true);
  });

  it('does not ask the StorageManager when a budget is given', async () => {
    const estimate = vi.fn(async () => ({ quota: 10, usage: 0 }));
    vi.stubGlobal('navigator', { storage: { estimate } });
    store = await AssetStore.open({ budgetBytes: 1000 });
    expect(estimate).not.toHaveBeenCalled();
    const a = asset('a', 500);
    expect(await store.put(a.meta, a.data)).toBe(true);
  });

  it('falls back to a fixed cap when the StorageManager fails', async () => {
    vi.stubGlobal('navigator', { storage: { estimate: () => Promise.reject(new Error('no')) } });
    store = await AssetStore.open();
    const a = asset('a', 5000);
    expect(await store.put(a.meta, a.data)).toBe(true);
  });
});
