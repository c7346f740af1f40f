import { describe, expect, it, vi } from 'vitest';
import { isQuotaError } from './quota.js';
import { asset, storeFixture } from './store-fixture.test-helper.js';

const fx = storeFixture();

const quotaError = () => new DOMException('disk full', 'QuotaExceededError');

/** Makes the next `times` IndexedDB puts into `storeName` throw; counts how many it threw. */
function failPuts(storeName: string, times: number): { thrown: number } {
  const put = IDBObjectStore.prototype.put;
  const state = { thrown: 0 };
  vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (
    this: IDBObjectStore,
    ...args: Parameters<IDBObjectStore['put']>
  ) {
    if (this.name === storeName && state.thrown < times) {
      state.thrown += 1;
      throw quotaError();
    }
    return put.apply(this, args);
  });
  return state;
}

describe('QuotaExceededError', () => {
  it('is told apart from other errors', () => {
    expect(isQuotaError(quotaError())).toBe(true);
    expect(isQuotaError(new DOMException('x', 'AbortError'))).toBe(false);
    expect(isQuotaError(new Error('QuotaExceededError'))).toBe(false);
  });

  it('evicts about twice the asset size, least recently used first, and retries once', async () => {
    const store = await fx.open(10_000);
    const old = [asset('a', 100), asset('b', 100), asset('c', 100), asset('d', 100)];
    for (const [i, item] of old.entries()) {
      fx.now = 1_000 + i;
      await store.put(item.meta, item.data);
    }
    fx.now = 2_000;
    const incoming = asset('n', 150);
    const failures = failPuts('assets', 1);
    // 2 x 150 = 300 bytes to free: a, b, c go (oldest first); d stays.
    expect(await store.put(incoming.meta, incoming.data)).toBe(true);
    const expected = new Set([old[3]!.meta.sha256, incoming.meta.sha256]);
    expect(failures.thrown).toBe(1);
    expect(await store.hashes()).toEqual(expected);
    const got = await store.get(incoming.meta.sha256);
    expect(new Uint8Array(await got!.data.arrayBuffer())).toEqual(incoming.bytes);
  });

  it('returns false and keeps nothing half-written when the retry fails too', async () => {
    const store = await fx.open(10_000);
    const a = asset('a', 100);
    await store.put(a.meta, a.data);
    const incoming = asset('n', 50);
    const failures = failPuts('assets', 2);
    expect(await store.put(incoming.meta, incoming.data)).toBe(false);
    expect(failures.thrown).toBe(2);
    // The blob put before the failing record put was rolled back with its transaction.
    expect(await fx.raw('blobs', incoming.meta.sha256)).toBeUndefined();
    expect(await store.has(incoming.meta.sha256)).toBe(false);
    // The store still works once the disk has room again.
    expect(await store.put(incoming.meta, incoming.data)).toBe(true);
  });

  it('still throws a coded error for what is not a full disk', async () => {
    const store = await fx.open(10_000);
    const a = asset('a', 10);
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(() => {
      throw new DOMException('broken', 'UnknownError');
    });
    await expect(store.put(a.meta, a.data)).rejects.toMatchObject({ code: 'store-error' });
  });

  it('a page copy that hits the quota is not kept, and the store goes on', async () => {
    const store = await fx.open(10_000);
    const page = { url: 'https://site.test/p', status: 200, headers: [], body: new Blob(['x']) };
    failPuts('pages', 1);
    expect(await store.putPage(page)).toBe(false);
    expect(await store.getPage(page.url)).toBeUndefined();
    expect(await store.putPage(page)).toBe(true);
  });
});
