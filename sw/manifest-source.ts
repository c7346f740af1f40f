import * as v from 'valibot';
import {
  MANIFEST_LIMITS,
  type ManifestAsset,
  type ManifestRoot,
  PATHS,
  parseManifestRoot,
  shardOf,
} from '../protocol/index.js';
import { DEADLINES } from './deadlines.js';
import { bodyCapped } from './read-capped.js';
import { type MetaStore, type ShardAssets, ShardCache } from './shard-cache.js';

/** Where the last good root is kept, so the worker works the moment it starts. */
const ROOT_META_KEY = 'manifest-root';

const SavedRootSchema = v.object({ root: v.unknown(), etag: v.nullable(v.string()) });

/** A path of the current release: its record, and the release (root version) it came from. */
export interface ResolvedAsset {
  asset: ManifestAsset;
  release: string;
}

/**
 * Called with each new root (and its predecessor) once it is current. Work it returns is
 * tracked (see `settled`), so that an event handler can keep the worker alive for it.
 */
export type RootListener = (
  root: ManifestRoot,
  previous: ManifestRoot | undefined,
) => Promise<unknown> | undefined;

/**
 * The worker's view of the origin's manifest: the small root (loaded from the store at start,
 * fetched at install, revalidated with its ETag on navigations and whenever a response names
 * another release), and the shards of the paths actually requested. Only a root whose version
 * matches its content is accepted; a bad or missing one leaves the previous in place (or none:
 * then nothing is routed to peers and the site behaves as if PeerConnect were not there).
 */
export class ManifestSource {
  private current: ManifestRoot | undefined;
  private etag: string | null = null;
  private loading: Promise<ManifestRoot | undefined> | undefined;
  private refreshing: Promise<ManifestRoot | undefined> | undefined;
  /** A refresh put off by the release-header throttle. */
  private recheck: Promise<unknown> | undefined;
  private lastCheck = 0;
  private readonly listeners = new Set<RootListener>();
  /** Listener work still running (a retention sweep, standing down). */
  private readonly background = new Set<Promise<unknown>>();
  private readonly shards: ShardCache;

  constructor(
    private readonly meta: () => Promise<MetaStore | undefined>,
    private readonly fetchImpl: typeof fetch = (input, init) => fetch(input, init),
  ) {
    this.shards = new ShardCache(meta, fetchImpl);
  }

  /** The root if already in memory. */
  peek(): ManifestRoot | undefined {
    return this.current;
  }

  /** The root: from memory, else the store, else the network. */
  root(): Promise<ManifestRoot | undefined> {
    if (this.current) return Promise.resolve(this.current);
    this.loading ??= this.loadPersisted()
      .then(async (root) => root ?? (await this.refresh()))
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  onChange(listener: RootListener): void {
    this.listeners.add(listener);
  }

  /** Resolves once the refresh in flight and the listener work it started are done. */
  async settled(): Promise<void> {
    await this.recheck;
    await this.refreshing;
    await Promise.allSettled([...this.background]);
  }

  /**
   * The current release's record for `path`, or undefined when the manifest does not list it,
   * PeerConnect is disabled, or the root or shard cannot be had within `DEADLINES.resolveMs`
   * (a slow shard means the plain origin fetch, never a stall; the fetch goes on for later).
   */
  resolve(path: string): Promise<ResolvedAsset | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), DEADLINES.resolveMs);
    });
    return Promise.race([this.lookup(path), late]).finally(() => clearTimeout(timer));
  }

  /** `path` in `root` specifically (the retention sweep asks about a release it just got). */
  async lookupIn(root: ManifestRoot, path: string): Promise<ManifestAsset | undefined> {
    const shard = await this.shards.get(root, shardOf(path, root));
    return shard?.get(path);
  }

  /** Shard `index` of `root` by path, or undefined when it cannot be had (network, bad bytes). */
  shard(root: ManifestRoot, index: number): Promise<ShardAssets | undefined> {
    return this.shards.get(root, index);
  }

  /** Marks and drops persisted shards after a release change (see ShardCache.retain). */
  retainShards(root: ManifestRoot, releases: readonly string[]): Promise<void> {
    return this.shards.retain(root, releases);
  }

  /** Revalidates unless done within `minIntervalMs`; never throws. */
  maybeRevalidate(minIntervalMs: number = DEADLINES.manifestRevalidateMs): void {
    if (Date.now() - this.lastCheck < minIntervalMs) return;
    void this.refresh();
  }

  /**
   * A response named the release the origin serves: refresh when it is not ours, at most once
   * per `DEADLINES.releaseRecheckMs` (a mixed fleet of origins must not cost a fetch per asset).
   */
  noticeRelease(version: string | null): void {
    if (!version || version === this.current?.version) return;
    const wait = this.lastCheck + DEADLINES.releaseRecheckMs - Date.now();
    if (wait <= 0) {
      void this.refresh();
      return;
    }
    // Named too soon after a check: one refresh once the interval is over, so it is not missed.
    this.recheck ??= new Promise((resolve) => setTimeout(resolve, wait))
      .then(() => (version === this.current?.version ? undefined : this.refresh()))
      .finally(() => {
        this.recheck = undefined;
      });
  }

  /** Fetches (ETag-revalidates) the root; concurrent callers share one request. */
  refresh(): Promise<ManifestRoot | undefined> {
    this.refreshing ??= this.fetchRoot().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async lookup(path: string): Promise<ResolvedAsset | undefined> {
    const root = await this.root();
    if (!root || root.disabled) return undefined;
    const asset = await this.lookupIn(root, path);
    return asset && { asset, release: root.version };
  }

  private async fetchRoot(): Promise<ManifestRoot | undefined> {
    this.lastCheck = Date.now();
    try {
      const headers: HeadersInit = this.etag ? { 'If-None-Match': this.etag } : {};
      const response = await this.fetchImpl(PATHS.manifest, {
        cache: 'no-cache',
        headers,
        signal: AbortSignal.timeout(DEADLINES.manifestFetchMs),
      });
      if (response.status === 304 || !response.ok) return this.current;
      const bytes = await bodyCapped(response, MANIFEST_LIMITS.maxFileBytes);
      if (!bytes) return this.current;
      const root = await parseManifestRoot(JSON.parse(new TextDecoder().decode(bytes)));
      this.etag = response.headers.get('ETag');
      // Kept for a restart, best effort: a store that refuses it costs a fetch then, no more.
      await (await this.meta())?.setMeta(ROOT_META_KEY, { root, etag: this.etag }).catch(() => {});
      if (root.version !== this.current?.version) this.install(root);
    } catch {
      // Origin down or root bad: keep serving with what we have.
    }
    return this.current;
  }

  private async loadPersisted(): Promise<ManifestRoot | undefined> {
    try {
      const saved = v.parse(SavedRootSchema, await (await this.meta())?.getMeta(ROOT_META_KEY));
      const root = await parseManifestRoot(saved.root);
      if (!this.current) {
        this.etag = saved.etag;
        this.install(root);
      }
    } catch {
      // None saved, or a damaged copy: ignored, the network copy replaces it.
    }
    return this.current;
  }

  private install(root: ManifestRoot): void {
    const previous = this.current;
    this.current = root;
    for (const listener of this.listeners) {
      const work = listener(root, previous)?.catch(() => {});
      if (!work) continue;
      this.background.add(work);
      void work.finally(() => this.background.delete(work));
    }
  }
}
