import { afterEach, describe, expect, it, vi } from 'vitest';
import { requestPersistence } from './persistence.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

function stubStorage(storage: object | undefined): void {
  vi.stubGlobal('navigator', storage === undefined ? {} : { storage });
}

describe('requestPersistence', () => {
  it('asks once and reports what the browser granted', async () => {
    const persist = vi.fn(async () => true);
    stubStorage({ persist, persisted: async () => false });
    expect(await requestPersistence()).toBe(true);
    expect(persist).toHaveBeenCalledTimes(1);
    stubStorage({ persist: async () => false, persisted: async () => false });
    expect(await requestPersistence()).toBe(false);
  });

  it('does not ask again when storage is already persistent', async () => {
    const persist = vi.fn(async () => true);
    stubStorage({ persist, persisted: async () => true });
    expect(await requestPersistence()).toBe(true);
    expect(persist).not.toHaveBeenCalled();
  });

  it('is false where persist() does not exist (a worker, an old browser) or fails', async () => {
    stubStorage(undefined);
    expect(await requestPersistence()).toBe(false);
    stubStorage({ estimate: async () => ({}) });
    expect(await requestPersistence()).toBe(false);
    stubStorage({ persist: () => Promise.reject(new Error('denied')) });
    expect(await requestPersistence()).toBe(false);
    vi.stubGlobal('navigator', undefined);
    expect(await requestPersistence()).toBe(false);
  });
});
