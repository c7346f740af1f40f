import { PeerConnectError, SHA256_HEX } from '../protocol/index.js';
import { STORE_LIMITS } from './limits.js';
import { parseAsset, parseReleaseLog, type StoredAsset } from './records.js';
import { RELEASE_LOG_KEY, type StoreDatabase } from './schema.js';

/**
 * What survives a release: the store keeps a log of the last releases (root versions, newest
 * first) and, on each asset, the releases known to reference it. An asset none of the kept
 * releases references is evicted, so old bytes never outlive the releases that named them.
 */

export function assertRelease(release: string): void {
  if (!SHA256_HEX.test(release)) {
    throw new PeerConnectError('store-error', `release is not a sha-256: ${release.slice(0, 80)}`);
  }
}

/** `release` first, the rest after it without repeats, capped at releasesKept. */
export function withRelease(list: readonly string[], release: string): string[] {
  return [release, ...list.filter((item) => item !== release)].slice(0, STORE_LIMITS.releasesKept);
}

/**
 * Whether a sweep that keeps the releases `keep` keeps `record`. A record with no releases
 * (migrated from v1, or stored without one) cannot be told apart from one that no kept release
 * references until the worker has had a chance to mark it under each kept release: so it is
 * kept while `keep` holds fewer than releasesKept releases, and goes once the log is full (by
 * then every kept release has been seen and has marked what it references).
 */
export function isRetained(record: StoredAsset, keep: readonly string[]): boolean {
  // An empty `keep` names no release (a log that was lost or never written): it judges nothing.
  if (keep.length === 0) return true;
  if (record.releases.length === 0) return keep.length < STORE_LIMITS.releasesKept;
  return record.releases.some((release) => keep.includes(release));
}

export async function readReleaseLog(db: StoreDatabase): Promise<string[]> {
  const value = await db.get('meta', RELEASE_LOG_KEY);
  if (value === undefined) return [];
  const log = parseReleaseLog(value);
  if (log) return log;
  await db.delete('meta', RELEASE_LOG_KEY);
  return [];
}

export async function noteRelease(db: StoreDatabase, version: string): Promise<string[]> {
  assertRelease(version);
  const tx = db.transaction('meta', 'readwrite');
  const log = parseReleaseLog(await tx.store.get(RELEASE_LOG_KEY)) ?? [];
  const next = log[0] === version ? log : withRelease(log, version);
  if (next !== log) await tx.store.put(next, RELEASE_LOG_KEY);
  await tx.done;
  return next;
}

export async function markReferenced(
  db: StoreDatabase,
  sha256s: Iterable<string>,
  release: string,
): Promise<void> {
  assertRelease(release);
  const tx = db.transaction('assets', 'readwrite');
  for (const sha256 of new Set(sha256s)) {
    const record = parseAsset(await tx.store.get(sha256));
    if (!record || record.releases[0] === release) continue;
    await tx.store.put({ ...record, releases: withRelease(record.releases, release) });
  }
  await tx.done;
}

/** Deletes (with their bytes) the records that isRetained drops, and any malformed record. */
export async function evictUnreferenced(
  db: StoreDatabase,
  keep: readonly string[],
): Promise<{ assets: number; bytes: number; removed: string[] }> {
  const tx = db.transaction(['assets', 'blobs'], 'readwrite');
  const assets = tx.objectStore('assets');
  const removed: string[] = [];
  let bytes = 0;
  let cursor = await assets.openCursor();
  while (cursor) {
    const record = parseAsset(cursor.value);
    if (!record || !isRetained(record, keep)) {
      removed.push(cursor.primaryKey);
      bytes += record?.size ?? 0;
      await Promise.all([cursor.delete(), tx.objectStore('blobs').delete(cursor.primaryKey)]);
    }
    cursor = await cursor.continue();
  }
  await tx.done;
  return { assets: removed.length, bytes, removed };
}
