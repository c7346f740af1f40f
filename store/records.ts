import * as v from 'valibot';
import { SHA256_HEX } from '../protocol/index.js';
import { STORE_INTERNALS, STORE_LIMITS } from './limits.js';

/**
 * The shapes of everything the store reads back from IndexedDB. IndexedDB is outside input
 * (another version of this code, a browser extension, a damaged profile may have written it),
 * so every record passes one of these before it is used.
 */

const Sha256 = v.pipe(v.string(), v.regex(SHA256_HEX));
const Count = v.pipe(v.number(), v.integer(), v.minValue(0));

export interface AssetMeta {
  sha256: string;
  path: string;
  size: number;
  type: string;
}

export const StoredAssetSchema = v.object({
  sha256: Sha256,
  path: v.string(),
  size: Count,
  type: v.string(),
  storedAt: v.number(),
  usedAt: v.number(),
  /** Root versions of the releases known to reference this asset, newest first. */
  releases: v.pipe(v.array(Sha256), v.maxLength(STORE_LIMITS.releasesKept)),
});
export type StoredAsset = v.InferOutput<typeof StoredAssetSchema>;

export const ReleaseLogSchema = v.pipe(v.array(Sha256), v.maxLength(STORE_LIMITS.releasesKept));

const HeaderSchema = v.tuple([v.string(), v.string()]);

export const StoredPageSchema = v.object({
  url: v.string(),
  status: v.pipe(v.number(), v.integer(), v.minValue(200), v.maxValue(599)),
  headers: v.pipe(
    v.array(HeaderSchema),
    v.maxLength(STORE_INTERNALS.maxPageHeaders),
    v.check(
      (headers) => headerChars(headers) <= STORE_INTERNALS.maxPageHeaderChars,
      'headers too long',
    ),
  ),
  body: v.pipe(
    v.instance(Blob),
    v.check((body) => body.size <= STORE_LIMITS.maxPageBytes, 'page too large'),
  ),
  storedAt: v.number(),
});

export interface StoredPage {
  /** Absolute URL without fragment, the key. */
  url: string;
  status: number;
  /** The origin's response headers as sent (minus Set-Cookie). */
  headers: [string, string][];
  body: Blob;
  storedAt: number;
}

export function headerChars(headers: readonly (readonly [string, string])[]): number {
  return headers.reduce((sum, [name, value]) => sum + name.length + value.length, 0);
}

export function parseAsset(value: unknown): StoredAsset | undefined {
  const result = v.safeParse(StoredAssetSchema, value);
  return result.success ? result.output : undefined;
}

export function parsePage(value: unknown): StoredPage | undefined {
  const result = v.safeParse(StoredPageSchema, value);
  return result.success ? result.output : undefined;
}

export function parseReleaseLog(value: unknown): string[] | undefined {
  const result = v.safeParse(ReleaseLogSchema, value);
  return result.success ? result.output : undefined;
}
