import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { deleteDB, openDB } from 'idb';
import { afterEach, beforeEach, vi } from 'vitest';
import { AssetStore } from './asset-store.js';
import type { AssetMeta } from './records.js';
import { STORE_SCHEMA_VERSION } from './schema.js';

/*
 * Blob in fake-indexeddb on Node 20: fake-indexeddb clones values with the global
 * `structuredClone`, which in Node 20 clones a Blob into a real Blob (size, type and bytes
 * intact); asset-store.test.ts checks that rather than assuming it.
 */

export const RELEASE_A = 'a'.repeat(64);
export const RELEASE_B = 'b'.repeat(64);
export const RELEASE_C = 'c'.repeat(64);
export const RELEASE_D = 'd'.repeat(64);

export const sha256Of = (bytes: Uint8Array): string =>
  createHash('sha256').update(bytes).digest('hex');

/** `size` bytes that differ per label, and the record that names them by their real hash. */
export function asset(
  label: string,
  size: number,
): { meta: AssetMeta; data: Blob; bytes: Uint8Array<ArrayBuffer> } {
  const seed = [...label].reduce((sum, char) => sum * 31 + char.charCodeAt(0), 7);
  const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed + (i >> 8)) & 0xff);
  // Labels that share a first character would otherwise share their bytes at tiny sizes.
  if (size > 0) bytes[0] = seed & 0xff;
  return {
    meta: { sha256: sha256Of(bytes), path: `/${label}`, size, type: 'application/octet-stream' },
    data: new Blob([bytes]),
    bytes,
  };
}

let counter = 0;

/**
 * A fresh database per test, a controllable clock and clean-up. `fx.now` is what Date.now()
 * answers; `fx.open()` opens the store under test (closed after the test).
 */
export function storeFixture() {
  const fx = {
    now: 1_000_000,
    name: '',
    store: undefined as AssetStore | undefined,
    async open(budgetBytes?: number): Promise<AssetStore> {
      fx.store?.close();
      fx.store = await AssetStore.open({ name: fx.name, budgetBytes });
      return fx.store;
    },
    async raw(storeName: string, key: string): Promise<unknown> {
      const db = await openDB(fx.name, STORE_SCHEMA_VERSION);
      try {
        return await db.get(storeName, key);
      } finally {
        db.close();
      }
    },
    async rawPut(storeName: string, value: unknown, key?: string): Promise<void> {
      const db = await openDB(fx.name, STORE_SCHEMA_VERSION);
      try {
        await db.put(storeName, value, key);
      } finally {
        db.close();
      }
    },
  };
  beforeEach(() => {
    fx.now = 1_000_000;
    counter += 1;
    fx.name = `peerconnect-test-${counter}`;
    vi.spyOn(Date, 'now').mockImplementation(() => fx.now);
  });
  afterEach(async () => {
    fx.store?.close();
    fx.store = undefined;
    vi.restoreAllMocks();
    vi.unstubAllGlobals();
    await deleteDB(fx.name);
  });
  return fx;
}
