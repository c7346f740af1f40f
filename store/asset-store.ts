import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import * as v from 'valibot';
import { MIB, PeerConnectError, SHA256_HEX } from '../protocol/index.js';

/**
 * Verified assets in IndexedDB, keyed by content hash so an unchanged file survives a new
 * manifest. Metadata and bytes live in two stores: eviction scans the small one only.
 * The worker writes; the page's agent reads to seed. LRU eviction keeps it under a budget.
 */

export const STORE_LIMITS = {
  /** Upper bound on what the store keeps, whatever the quota. */
  maxBytes: 512 * MIB,
  /** Share of the origin's quota the store may take. */
  quotaShare: 0.5,
  /** `usedAt` is rewritten on a read at most this often, to keep reads read-only. */
  touchIntervalMs: 60_000,
} as const;

const DB_NAME = 'peerconnect';
const DB_VERSION = 1;

const StoredAssetSchema = v.object({
  sha256: v.pipe(v.string(), v.regex(SHA256_HEX)),
  path: v.string(),
  size: v.pipe(v.number(), v.integer(), v.minValue(0)),
  type: v.string(),
  storedAt: v.number(),
  usedAt: v.number(),
});
export type StoredAsset = v.InferOutput<typeof StoredAssetSchema>;

interface StoreSchema extends DBSchema {
  assets: { key: string; value: StoredAsset; indexes: { usedAt: number } };
  blobs: { key: string; value: Blob };
  meta: { key: string; value: unknown };
}

export interface AssetMeta {
  sha256: string;
  path: string;
  size: number;
  type: string;
}

export class AssetStore {
  private constructor(
    private readonly db: IDBPDatabase<StoreSchema>,
    private readonly budgetBytes: number,
  ) {}

  static async open(options: { budgetBytes?: number } = {}): Promise<AssetStore> {
    let db: IDBPDatabase<StoreSchema>;
    try {
      db = await openDB<StoreSchema>(DB_NAME, DB_VERSION, {
        upgrade(database) {
          const assets = database.createObjectStore('assets', { keyPath: 'sha256' });
          assets.createIndex('usedAt', 'usedAt');
          database.createObjectStore('blobs');
          database.createObjectStore('meta');
        },
        // A newer worker or page wants to upgrade the schema: step aside rather than block it.
        blocking() {
          db.close();
        },
      });
    } catch (err) {
      throw new PeerConnectError('store-error', `open: ${String(err)}`);
    }
    return new AssetStore(db, options.budgetBytes ?? (await defaultBudget()));
  }

  /** The verified record and its bytes, or undefined when absent or damaged. */
  async get(sha256: string): Promise<{ meta: StoredAsset; data: Blob } | undefined> {
    const tx = this.db.transaction(['assets', 'blobs'], 'readonly');
    const [record, data] = await Promise.all([
      tx.objectStore('assets').get(sha256),
      tx.objectStore('blobs').get(sha256),
    ]);
    await tx.done;
    const meta = parseRecord(record);
    if (!meta || !(data instanceof Blob) || data.size !== meta.size || meta.sha256 !== sha256) {
      if (record || data) await this.delete(sha256);
      return undefined;
    }
    if (Date.now() - meta.usedAt > STORE_LIMITS.touchIntervalMs) {
      meta.usedAt = Date.now();
      await this.db.put('assets', meta).catch(() => {});
    }
    return { meta, data };
  }

  async getBlob(sha256: string): Promise<Blob | undefined> {
    return (await this.get(sha256))?.data;
  }

  /** Content hashes of every stored asset. */
  async hashes(): Promise<Set<string>> {
    return new Set(await this.db.getAllKeys('assets'));
  }

  async totalBytes(): Promise<number> {
    const records = await this.db.getAll('assets');
    return records.reduce((sum, record) => sum + (parseRecord(record)?.size ?? 0), 0);
  }

  /**
   * Stores verified bytes, evicting least recently used assets to stay in budget. Returns false
   * (and stores nothing) when the asset cannot fit or the quota is exhausted: a full disk must
   * never break the page, it only stops seeding.
   */
  async put(asset: AssetMeta, data: Blob): Promise<boolean> {
    if (data.size !== asset.size || asset.size > this.budgetBytes) return false;
    const now = Date.now();
    const record: StoredAsset = { ...asset, storedAt: now, usedAt: now };
    try {
      await this.evictFor(asset.size, asset.sha256);
      const tx = this.db.transaction(['assets', 'blobs'], 'readwrite');
      await Promise.all([
        tx.objectStore('blobs').put(data, asset.sha256),
        tx.objectStore('assets').put(record),
      ]);
      await tx.done;
      return true;
    } catch (err) {
      if (isQuotaError(err)) return false;
      throw new PeerConnectError('store-error', `put: ${String(err)}`);
    }
  }

  async delete(sha256: string): Promise<void> {
    const tx = this.db.transaction(['assets', 'blobs'], 'readwrite');
    await Promise.all([
      tx.objectStore('assets').delete(sha256),
      tx.objectStore('blobs').delete(sha256),
    ]);
    await tx.done;
  }

  async getMeta(key: string): Promise<unknown> {
    return this.db.get('meta', key);
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    await this.db.put('meta', value, key);
  }

  close(): void {
    this.db.close();
  }

  private async evictFor(incoming: number, keep: string): Promise<void> {
    const records = (await this.db.getAllFromIndex('assets', 'usedAt')).filter(
      (r) => r.sha256 !== keep,
    );
    let total = records.reduce((sum, record) => sum + record.size, 0);
    for (const record of records) {
      if (total + incoming <= this.budgetBytes) return;
      await this.delete(record.sha256);
      total -= record.size;
    }
  }
}

function parseRecord(value: unknown): StoredAsset | undefined {
  const result = v.safeParse(StoredAssetSchema, value);
  return result.success ? result.output : undefined;
}

function isQuotaError(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'QuotaExceededError';
}

async function defaultBudget(): Promise<number> {
  try {
    const { quota } = await navigator.storage.estimate();
    if (quota) return Math.min(STORE_LIMITS.maxBytes, Math.floor(quota * STORE_LIMITS.quotaShare));
  } catch {
    // No StorageManager (old browser, tests): fall back to the fixed cap.
  }
  return STORE_LIMITS.maxBytes;
}
