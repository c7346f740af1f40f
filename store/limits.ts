import { KIB, MIB } from '../protocol/index.js';

/** Sizes, counts and intervals that bound what the store keeps. */
export const STORE_LIMITS = {
  /** Upper bound on what the store keeps, whatever the quota. */
  maxBytes: 512 * MIB,
  /** Share of the origin's quota the store may take. */
  quotaShare: 0.5,
  /** `usedAt` is rewritten on a read at most this often, to keep reads read-only. */
  touchIntervalMs: 60_000,
  /** Releases whose assets are kept: the current one and the previous two. */
  releasesKept: 3,
  /** A page copy larger than this is not kept. */
  maxPageBytes: 2 * MIB,
  /** Page copies kept; the least recently stored go first. */
  maxPages: 200,
  /** Bytes of page copies in total; a budget of its own, apart from the assets'. */
  maxPagesBytes: 32 * MIB,
} as const;

/** Internal bounds, not part of the public surface. */
export const STORE_INTERNALS = {
  /** Verified hashes remembered per store instance; the set is cleared when it is full. */
  maxVerifiedHashes: 10_000,
  /** On QuotaExceededError, evict this many times the asset's size before the one retry. */
  quotaEvictFactor: 2,
  /** Headers kept with a page copy, and their total length: a response is not a blob store. */
  maxPageHeaders: 100,
  maxPageHeaderChars: 16 * KIB,
} as const;
