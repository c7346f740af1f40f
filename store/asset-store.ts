import { PeerConnectError } from '../protocol/index.js';
import { STORE_INTERNALS, STORE_LIMITS } from './limits.js';
import * as pageStore from './page-store.js';
import { abandon, defaultBudget, isQuotaError } from './quota.js';
import { type AssetMeta, parseAsset, type StoredAsset, type StoredPage } from './records.js';
import * as retention from './retention.js';
import { DEFAULT_DB_NAME, openStoreDatabase, type StoreDatabase } from './schema.js';
import { VerifiedHashes } from './verified-hashes.js';

/**
 * Verified assets in IndexedDB, keyed by content hash so an unchanged file survives a new
 * release. Metadata and bytes live in two stores: eviction scans the small one only. The
 * worker writes; the page's agent reads to seed. LRU eviction keeps it under a budget, and
 * retention drops what the last releases no longer reference.
 */
export class AssetStore {
  private readonly verified = new VerifiedHashes();
  /** Puts run one at a time: two that each saw room for themselves would overrun the budget. */
  private puts: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly db: StoreDatabase,
    private readonly budgetBytes: number,
  ) {}

  /** Opens (creating or migrating from v1) the database; `name` for tests only. */
  static async open(options: { budgetBytes?: number; name?: string } = {}): Promise<AssetStore> {
    const db = await openStoreDatabase(options.name ?? DEFAULT_DB_NAME);
    return new AssetStore(db, options.budgetBytes ?? (await defaultBudget()));
  }

  /**
   * The record and bytes, or undefined when absent or damaged. The bytes are hashed on the
   * first read of each hash by this instance; a mismatch deletes the entry, so nothing
   * planted in IndexedDB is served.
   */
  async get(sha256: string): Promise<{ meta: StoredAsset; data: Blob } | undefined> {
    const tx = this.db.transaction(['assets', 'blobs'], 'readonly');
    const [record, data] = await Promise.all([
      tx.objectStore('assets').get(sha256),
      tx.objectStore('blobs').get(sha256),
    ]);
    await tx.done;
    const meta = parseAsset(record);
    const intact =
      meta !== undefined &&
      meta.sha256 === sha256 &&
      data instanceof Blob &&
      data.size === meta.size &&
      (await this.verified.check(sha256, data));
    if (!intact) {
      if (record !== undefined || data !== undefined) await this.delete(sha256);
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

  /** Whether a record is present (cheap: no validation, no hashing). */
  async has(sha256: string): Promise<boolean> {
    return (await this.db.count('assets', sha256)) > 0;
  }

  /** Content hashes of every valid stored record. */
  async hashes(): Promise<Set<string>> {
    return new Set((await this.records()).map((record) => record.sha256));
  }

  /** Every valid record; malformed ones are deleted with their bytes. */
  async records(): Promise<StoredAsset[]> {
    const valid: StoredAsset[] = [];
    const damaged: string[] = [];
    const tx = this.db.transaction('assets', 'readonly');
    let cursor = await tx.store.openCursor();
    while (cursor) {
      const record = parseAsset(cursor.value);
      if (record) valid.push(record);
      else damaged.push(cursor.primaryKey);
      cursor = await cursor.continue();
    }
    await tx.done;
    await this.deleteMany(damaged);
    return valid;
  }

  async totalBytes(): Promise<number> {
    return (await this.records()).reduce((sum, record) => sum + record.size, 0);
  }

  /**
   * Stores verified bytes (the caller verified them), marked as referenced by `release` when
   * given. Evicts least recently used assets to stay in budget; on QuotaExceededError evicts
   * about twice the asset's size more and retries once. Returns false (and stores nothing) when
   * the asset cannot fit: a full disk must never break the page, it only stops seeding.
   */
  put(asset: AssetMeta, data: Blob, release?: string): Promise<boolean> {
    const result = this.puts.then(() => this.putNow(asset, data, release));
    this.puts = result.catch(() => {});
    return result;
  }

  private async putNow(asset: AssetMeta, data: Blob, release?: string): Promise<boolean> {
    if (data.size !== asset.size || asset.size > this.budgetBytes) return false;
    if (release !== undefined) retention.assertRelease(release);
    try {
      await this.evictFor(asset.size, asset.sha256, 0);
      if (await this.write(asset, data, release)) return true;
      await this.evictFor(asset.size, asset.sha256, asset.size * STORE_INTERNALS.quotaEvictFactor);
      return await this.write(asset, data, release);
    } catch (err) {
      throw new PeerConnectError('store-error', `put: ${String(err)}`);
    }
  }

  async delete(sha256: string): Promise<void> {
    await this.deleteMany([sha256]);
  }

  /** Adds `release` at the front of each listed record's `releases` (deduplicated, capped). */
  async markReferenced(sha256s: Iterable<string>, release: string): Promise<void> {
    await retention.markReferenced(this.db, sha256s, release);
  }

  /** The release log, newest first (at most releasesKept). */
  async releases(): Promise<string[]> {
    return retention.readReleaseLog(this.db);
  }

  /** Puts `version` at the front of the release log if it is not already first; returns the log. */
  async noteRelease(version: string): Promise<string[]> {
    return retention.noteRelease(this.db, version);
  }

  /** Deletes every asset the releases in `keep` do not retain (see retention.isRetained). */
  async evictUnreferenced(keep: readonly string[]): Promise<{ assets: number; bytes: number }> {
    const { assets, bytes, removed } = await retention.evictUnreferenced(this.db, keep);
    for (const sha256 of removed) this.verified.forget(sha256);
    return { assets, bytes };
  }

  /** Stores a page copy; false (nothing stored) when over maxPageBytes or on quota errors. */
  async putPage(page: Omit<StoredPage, 'storedAt'>): Promise<boolean> {
    return pageStore.putPage(this.db, page);
  }

  async getPage(url: string): Promise<StoredPage | undefined> {
    return pageStore.getPage(this.db, url);
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

  /** One transaction for the record and its bytes; false on QuotaExceededError (nothing kept). */
  private async write(asset: AssetMeta, data: Blob, release?: string): Promise<boolean> {
    const tx = this.db.transaction(['assets', 'blobs'], 'readwrite');
    try {
      const previous = parseAsset(await tx.objectStore('assets').get(asset.sha256));
      const known = previous?.releases ?? [];
      const now = Date.now();
      const record: StoredAsset = {
        sha256: asset.sha256,
        path: asset.path,
        size: asset.size,
        type: asset.type,
        storedAt: now,
        usedAt: now,
        releases: release === undefined ? known : retention.withRelease(known, release),
      };
      // One request at a time: a put that throws leaves no other request's rejection unheard.
      await tx.objectStore('blobs').put(data, asset.sha256);
      await tx.objectStore('assets').put(record);
      await tx.done;
    } catch (err) {
      abandon(tx);
      if (isQuotaError(err)) return false;
      throw err;
    }
    this.verified.remember(asset.sha256);
    return true;
  }

  /**
   * Deletes least recently used assets (never `keep`) until `incoming` more bytes fit in the
   * budget and at least `minFreed` bytes are gone.
   */
  private async evictFor(incoming: number, keep: string, minFreed: number): Promise<void> {
    const records = (await this.db.getAllFromIndex('assets', 'usedAt'))
      .map(parseAsset)
      .filter((record): record is StoredAsset => record !== undefined && record.sha256 !== keep);
    let total = records.reduce((sum, record) => sum + record.size, 0);
    let freed = 0;
    const victims: string[] = [];
    for (const record of records) {
      if (total + incoming <= this.budgetBytes && freed >= minFreed) break;
      victims.push(record.sha256);
      total -= record.size;
      freed += record.size;
    }
    await this.deleteMany(victims);
  }

  private async deleteMany(sha256s: readonly string[]): Promise<void> {
    if (sha256s.length === 0) return;
    const tx = this.db.transaction(['assets', 'blobs'], 'readwrite');
    await Promise.all(
      sha256s.flatMap((sha256) => [
        tx.objectStore('assets').delete(sha256),
        tx.objectStore('blobs').delete(sha256),
      ]),
    );
    await tx.done;
    for (const sha256 of sha256s) this.verified.forget(sha256);
  }
}
