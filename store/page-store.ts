import type { IDBPObjectStore } from 'idb';
import { PeerConnectError } from '../protocol/index.js';
import { STORE_LIMITS } from './limits.js';
import { abandon, isQuotaError } from './quota.js';
import { parsePage, type StoredPage } from './records.js';
import type { StoreDatabase, StoreSchema } from './schema.js';

/**
 * Copies of pages as the origin sent them, for navigations while the origin is down. A budget
 * of their own (count and bytes, oldest stored dropped first), apart from the assets'.
 */

const SET_COOKIE = 'set-cookie';

/** The key of a page: its absolute URL without fragment; undefined for anything else. */
export function pageKey(url: string): string | undefined {
  if (!URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  parsed.hash = '';
  return parsed.href;
}

export async function putPage(
  db: StoreDatabase,
  page: Omit<StoredPage, 'storedAt'>,
): Promise<boolean> {
  const url = pageKey(page.url);
  // A cookie is the visitor's session, never part of a page copy served later.
  const headers = page.headers
    .filter(([name]) => name.toLowerCase() !== SET_COOKIE)
    .map(([name, value]): [string, string] => [name, value]);
  const record = parsePage({ ...page, url, headers, storedAt: Date.now() });
  if (!url || !record) return false;
  const tx = db.transaction('pages', 'readwrite');
  try {
    await makeRoom(tx.store, url, record.body.size);
    await tx.store.put(record);
    await tx.done;
    return true;
  } catch (err) {
    abandon(tx);
    if (isQuotaError(err)) return false;
    throw new PeerConnectError('store-error', `putPage: ${String(err)}`);
  }
}

export async function getPage(db: StoreDatabase, url: string): Promise<StoredPage | undefined> {
  const key = pageKey(url);
  if (!key) return undefined;
  const value = await db.get('pages', key);
  if (value === undefined) return undefined;
  const page = parsePage(value);
  if (page) return page;
  await db.delete('pages', key);
  return undefined;
}

type PagesStore = IDBPObjectStore<StoreSchema, ['pages'], 'pages', 'readwrite'>;

/** Drops the oldest copies (and malformed ones) until one of `size` bytes fits under `url`. */
async function makeRoom(pages: PagesStore, url: string, size: number): Promise<void> {
  const kept: { url: string; size: number; storedAt: number }[] = [];
  // The whole store, not an index on storedAt: a damaged record without one must not escape.
  let cursor = await pages.openCursor();
  while (cursor) {
    const page = parsePage(cursor.value);
    if (!page) await cursor.delete();
    else if (page.url !== url) {
      kept.push({ url: page.url, size: page.body.size, storedAt: page.storedAt });
    }
    cursor = await cursor.continue();
  }
  kept.sort((a, b) => a.storedAt - b.storedAt);
  let count = kept.length;
  let bytes = kept.reduce((sum, page) => sum + page.size, 0);
  for (const page of kept) {
    if (count < STORE_LIMITS.maxPages && bytes + size <= STORE_LIMITS.maxPagesBytes) return;
    await pages.delete(page.url);
    count -= 1;
    bytes -= page.size;
  }
}
