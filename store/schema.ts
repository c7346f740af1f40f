import { type DBSchema, type IDBPDatabase, type IDBPTransaction, openDB } from 'idb';
import { PeerConnectError } from '../protocol/index.js';
import type { StoredAsset, StoredPage } from './records.js';

/**
 * The versioned IndexedDB schema and every migration, in one place. A step per version: opening
 * an empty database runs them all, opening an older one runs the steps it has not seen.
 */

export const STORE_SCHEMA_VERSION = 2;
export const DEFAULT_DB_NAME = 'peerconnect';
/** The meta key of the release log (root versions, newest first). */
export const RELEASE_LOG_KEY = 'releases';

export interface StoreSchema extends DBSchema {
  assets: { key: string; value: StoredAsset; indexes: { usedAt: number } };
  blobs: { key: string; value: Blob };
  meta: { key: string; value: unknown };
  pages: { key: string; value: StoredPage };
}

export type StoreDatabase = IDBPDatabase<StoreSchema>;
type UpgradeTransaction = IDBPTransaction<
  StoreSchema,
  ('assets' | 'blobs' | 'meta' | 'pages')[],
  'versionchange'
>;
type Migration = (db: StoreDatabase, tx: UpgradeTransaction) => Promise<void>;

/** MIGRATIONS[n - 1] brings a database from version n - 1 to n. */
const MIGRATIONS: readonly Migration[] = [
  async (db) => {
    const assets = db.createObjectStore('assets', { keyPath: 'sha256' });
    assets.createIndex('usedAt', 'usedAt');
    db.createObjectStore('blobs');
    db.createObjectStore('meta');
  },
  async (db, tx) => {
    db.createObjectStore('pages', { keyPath: 'url' });
    // v1 records knew no releases: mark them unreferenced; retention decides what that means.
    let cursor = await tx.objectStore('assets').openCursor();
    while (cursor) {
      const record: unknown = cursor.value;
      if (record !== null && typeof record === 'object') {
        await cursor.update({ ...(record as StoredAsset), releases: [] });
      }
      cursor = await cursor.continue();
    }
  },
];

export async function openStoreDatabase(name: string): Promise<StoreDatabase> {
  let db: StoreDatabase;
  try {
    db = await openDB<StoreSchema>(name, STORE_SCHEMA_VERSION, {
      async upgrade(database, oldVersion, _newVersion, tx) {
        for (const migrate of MIGRATIONS.slice(oldVersion)) await migrate(database, tx);
      },
      // A newer worker or page wants to upgrade the schema: step aside rather than block it.
      blocking() {
        db.close();
      },
    });
  } catch (err) {
    throw new PeerConnectError('store-error', `open: ${String(err)}`);
  }
  return db;
}
