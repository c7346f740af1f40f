import { type IDBPDatabase, openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { AssetStore } from './asset-store.js';
import { STORE_SCHEMA_VERSION } from './schema.js';
import { asset, RELEASE_A, storeFixture } from './store-fixture.test-helper.js';

const fx = storeFixture();

/*
 * A frozen copy of the v1 schema and record shape, exactly as store/asset-store.ts wrote them
 * before schema v2 (commit 79d33ae). Do not update it with the store: it stands for the
 * databases already in visitors' browsers.
 */
const V1_VERSION = 1;
interface V1Record {
  sha256: string;
  path: string;
  size: number;
  type: string;
  storedAt: number;
  usedAt: number;
}
async function writeV1(
  name: string,
  assets: { record: V1Record; data: Blob }[],
  meta: Record<string, unknown>,
): Promise<void> {
  const db = await openDB(name, V1_VERSION, {
    upgrade(database) {
      const store = database.createObjectStore('assets', { keyPath: 'sha256' });
      store.createIndex('usedAt', 'usedAt');
      database.createObjectStore('blobs');
      database.createObjectStore('meta');
    },
  });
  for (const { record, data } of assets) {
    const tx = db.transaction(['assets', 'blobs'], 'readwrite');
    await Promise.all([
      tx.objectStore('blobs').put(data, record.sha256),
      tx.objectStore('assets').put(record),
    ]);
    await tx.done;
  }
  for (const [key, value] of Object.entries(meta)) await db.put('meta', value, key);
  db.close();
}

function storeNames(db: IDBPDatabase): string[] {
  return [...db.objectStoreNames].sort();
}

describe('schema', () => {
  it('creates every store of v2 in an empty database', async () => {
    await fx.open(1000);
    fx.store!.close();
    const db = await openDB(fx.name);
    expect(db.version).toBe(STORE_SCHEMA_VERSION);
    expect(storeNames(db)).toEqual(['assets', 'blobs', 'meta', 'pages']);
    const tx = db.transaction(['assets', 'pages']);
    expect([...tx.objectStore('assets').indexNames]).toEqual(['usedAt']);
    expect(tx.objectStore('pages').keyPath).toBe('url');
    db.close();
  });

  it('migrates a v1 store: bytes intact and verified, records marked with no release, meta kept', async () => {
    const [a, b] = [asset('a', 3000), asset('b', 70_000)];
    const v1 = (item: typeof a, at: number): V1Record => ({
      ...item.meta,
      storedAt: at,
      usedAt: at + 1,
    });
    await writeV1(
      fx.name,
      [
        { record: v1(a, 100), data: a.data },
        { record: v1(b, 200), data: b.data },
      ],
      { manifest: { version: 'old', shards: [1, 2] }, seen: 3 },
    );
    const store = await fx.open(1_000_000);
    const gotA = await store.get(a.meta.sha256);
    // The read touched usedAt (last used long before the clock's now).
    expect(gotA?.meta).toEqual({ ...a.meta, storedAt: 100, usedAt: fx.now, releases: [] });
    expect(new Uint8Array(await gotA!.data.arrayBuffer())).toEqual(a.bytes);
    const gotB = await store.get(b.meta.sha256);
    expect(new Uint8Array(await gotB!.data.arrayBuffer())).toEqual(b.bytes);
    expect(await store.hashes()).toEqual(new Set([a.meta.sha256, b.meta.sha256]));
    expect(await store.getMeta('manifest')).toEqual({ version: 'old', shards: [1, 2] });
    expect(await store.getMeta('seen')).toBe(3);
    expect(await store.releases()).toEqual([]);
    // The new stores work on a migrated database.
    await store.markReferenced([a.meta.sha256], RELEASE_A);
    expect((await store.get(a.meta.sha256))?.meta.releases).toEqual([RELEASE_A]);
    const page = { url: 'https://site.test/', status: 200, headers: [], body: new Blob(['hi']) };
    expect(await store.putPage(page)).toBe(true);
  });

  it('drops v1 entries whose bytes do not match their hash after migration', async () => {
    const a = asset('a', 500);
    const planted = new Blob([new Uint8Array(500)]);
    await writeV1(fx.name, [{ record: { ...a.meta, storedAt: 1, usedAt: 1 }, data: planted }], {});
    const store = await fx.open(1_000_000);
    expect(await store.get(a.meta.sha256)).toBeUndefined();
    expect(await store.has(a.meta.sha256)).toBe(false);
  });

  it('steps aside when a newer version wants to upgrade', async () => {
    const store = await AssetStore.open({ name: fx.name, budgetBytes: 1000 });
    // Without blocking() closing the old connection, this open would wait for ever.
    const newer = await openDB(fx.name, STORE_SCHEMA_VERSION + 1);
    expect(newer.version).toBe(STORE_SCHEMA_VERSION + 1);
    newer.close();
    await expect(store.hashes()).rejects.toThrow();
  });
});
