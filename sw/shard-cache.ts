import * as v from 'valibot';
import {
  MANIFEST_LIMITS,
  type ManifestAsset,
  type ManifestRoot,
  parseManifestShard,
  SHA256_HEX,
  shardUrlPath,
} from '../protocol/index.js';
import type { AssetStore } from '../store/index.js';
import { DEADLINES } from './deadlines.js';
import { bodyCapped } from './read-capped.js';

/** The part of the store the manifest lives in: its meta key-value table. */
export type MetaStore = Pick<AssetStore, 'getMeta' | 'setMeta'>;

/** Bounds on the shards the worker holds. */
export const SHARD_CACHE_LIMITS = {
  /** Shards parsed in memory, least recently used dropped first (a few MB at most). */
  inMemory: 32,
  /** Shards persisted in IndexedDB: three releases of the largest site the root allows. */
  persisted: 3 * 4096,
} as const;

const SHARD_KEY_PREFIX = 'manifest-shard:';
/** Which shards are persisted, each with the newest release that listed it. */
const INDEX_KEY = 'manifest-shard-index';

const Sha256 = v.pipe(v.string(), v.regex(SHA256_HEX));
const IndexSchema = v.pipe(
  v.array(v.tuple([Sha256, Sha256])),
  v.maxLength(SHARD_CACHE_LIMITS.persisted),
);

/** One shard's assets by path. */
export type ShardAssets = ReadonlyMap<string, ManifestAsset>;

/**
 * Manifest shards, fetched when a path of theirs is first asked for. Shards are content-addressed
 * (named by their hash in the root), so a copy never goes stale: it is kept in memory (LRU) and
 * in the store's meta, and read back through the same check as a fetched one (a damaged copy is
 * dropped and fetched again). Concurrent lookups of one shard share one fetch.
 */
export class ShardCache {
  private readonly memory = new Map<string, ShardAssets>();
  private readonly inflight = new Map<string, Promise<ShardAssets | undefined>>();
  /** Index writes, one after another: each rewrites the whole index. */
  private indexWrites: Promise<void> = Promise.resolve();

  constructor(
    private readonly meta: () => Promise<MetaStore | undefined>,
    private readonly fetchImpl: typeof fetch,
  ) {}

  /** Shard `index` of `root`, or undefined when it cannot be had (network, bad bytes). */
  get(root: ManifestRoot, index: number): Promise<ShardAssets | undefined> {
    const hash = root.shards[index]?.sha256;
    if (hash === undefined) return Promise.resolve(undefined);
    const held = this.memory.get(hash);
    if (held) {
      this.memory.delete(hash);
      this.memory.set(hash, held);
      return Promise.resolve(held);
    }
    let pending = this.inflight.get(hash);
    if (!pending) {
      pending = this.load(root, index, hash).finally(() => this.inflight.delete(hash));
      this.inflight.set(hash, pending);
    }
    return pending;
  }

  /**
   * A new root is current: its persisted shards are marked with its version, and persisted
   * shards that none of `releases` (the store's log, newest first) listed are deleted.
   */
  retain(root: ManifestRoot, releases: readonly string[]): Promise<void> {
    const listed = new Set(root.shards.map((s) => s.sha256));
    const kept = new Set(releases);
    return this.updateIndex(async (entries, meta) => {
      const next: Array<[string, string]> = [];
      for (const [hash, release] of entries) {
        const newest = listed.has(hash) ? root.version : release;
        if (kept.has(newest)) next.push([hash, newest]);
        else await meta.setMeta(SHARD_KEY_PREFIX + hash, undefined);
      }
      return next;
    });
  }

  private async load(
    root: ManifestRoot,
    index: number,
    hash: string,
  ): Promise<ShardAssets | undefined> {
    const meta = await this.meta().catch(() => undefined);
    const saved = await meta?.getMeta(SHARD_KEY_PREFIX + hash).catch(() => undefined);
    const fromStore = saved instanceof Uint8Array ? await parsed(saved, root, index) : undefined;
    if (fromStore) return this.hold(hash, fromStore);
    const bytes = await this.fetchShard(hash);
    const fromNetwork = bytes && (await parsed(bytes, root, index));
    if (!fromNetwork || !bytes) return undefined;
    if (meta) void this.persist(meta, root, hash, bytes);
    return this.hold(hash, fromNetwork);
  }

  private async fetchShard(hash: string): Promise<Uint8Array<ArrayBuffer> | undefined> {
    try {
      const response = await this.fetchImpl(shardUrlPath(hash), {
        signal: AbortSignal.timeout(DEADLINES.manifestFetchMs),
      });
      if (!response.ok) return undefined;
      return await bodyCapped(response, MANIFEST_LIMITS.maxFileBytes);
    } catch {
      return undefined;
    }
  }

  private hold(hash: string, assets: ShardAssets): ShardAssets {
    this.memory.set(hash, assets);
    for (const oldest of this.memory.keys()) {
      if (this.memory.size <= SHARD_CACHE_LIMITS.inMemory) break;
      this.memory.delete(oldest);
    }
    return assets;
  }

  /** Best effort: a store that refuses the copy only means the shard is fetched next time. */
  private async persist(
    meta: MetaStore,
    root: ManifestRoot,
    hash: string,
    bytes: Uint8Array,
  ): Promise<void> {
    try {
      await meta.setMeta(SHARD_KEY_PREFIX + hash, bytes);
      await this.updateIndex(async (entries) => {
        const others = entries.filter(([known]) => known !== hash);
        return [[hash, root.version] as [string, string], ...others].slice(
          0,
          SHARD_CACHE_LIMITS.persisted,
        );
      });
    } catch {
      // Quota or a broken database: nothing is lost but a later fetch.
    }
  }

  private updateIndex(
    change: (entries: Array<[string, string]>, meta: MetaStore) => Promise<Array<[string, string]>>,
  ): Promise<void> {
    const run = async (): Promise<void> => {
      const meta = await this.meta();
      if (!meta) return;
      const result = v.safeParse(IndexSchema, await meta.getMeta(INDEX_KEY));
      // A damaged index forgets which copies exist; they stay until overwritten, never served wrong.
      const entries = result.success ? result.output : [];
      await meta.setMeta(INDEX_KEY, await change(entries, meta));
    };
    const next = this.indexWrites.then(run).catch(() => {});
    this.indexWrites = next;
    return next;
  }
}

/** The shard's assets by path if the bytes are shard `index` of `root`, else undefined. */
async function parsed(
  bytes: Uint8Array,
  root: ManifestRoot,
  index: number,
): Promise<ShardAssets | undefined> {
  try {
    const shard = await parseManifestShard(new Uint8Array(bytes), root, index);
    return new Map(shard.assets.map((asset) => [asset.path, asset]));
  } catch {
    return undefined;
  }
}
