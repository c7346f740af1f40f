import { type ManifestRoot, shardOf } from '../protocol/index.js';
import type { AssetStore } from '../store/index.js';
import type { ManifestSource, RootListener } from './manifest-source.js';

/** The store as the sweep uses it. */
export type SweepStore = Pick<
  AssetStore,
  | 'getMeta'
  | 'setMeta'
  | 'noteRelease'
  | 'releases'
  | 'records'
  | 'markReferenced'
  | 'evictUnreferenced'
>;

/** The manifest as the sweep uses it. */
export type SweepManifest = Pick<ManifestSource, 'shard' | 'retainShards'>;

export const SWEEP_LIMITS = {
  /**
   * Shards one sweep may read: what a visitor stored spans few shards, and a sweep must end
   * within a worker's lifetime. A sweep that would need more stops short (see below).
   */
  maxShards: 256,
} as const;

/** The release whose sweep last finished: a worker stopped mid-sweep sweeps again on restart. */
export const SWEPT_META_KEY = 'swept-release';

export type SweepResult =
  | { done: true; marked: number; evicted: { assets: number; bytes: number } }
  /** Some shard could not be read: nothing was evicted, and the next start tries again. */
  | { done: false; marked: number };

/**
 * A new release is current: note it in the store's release log, mark every stored asset whose
 * path the new release lists with the same hash as referenced by it, then evict what none of
 * the kept releases references. A changed file is never marked, so once its old release leaves
 * the log its bytes go; they are never served meanwhile, since lookups go by the current
 * release's hash for the path. A shard that cannot be read (origin down) or one past the limit
 * leaves the sweep unfinished: evicting then could drop unchanged assets no one marked.
 * Undefined when this release was swept already.
 */
export async function sweepRelease(
  store: SweepStore,
  manifest: SweepManifest,
  root: ManifestRoot,
): Promise<SweepResult | undefined> {
  if ((await store.getMeta(SWEPT_META_KEY)) === root.version) return undefined;
  await store.noteRelease(root.version);
  const byShard = new Map<number, Array<{ path: string; sha256: string }>>();
  for (const { path, sha256 } of await store.records()) {
    const index = shardOf(path, root);
    const group = byShard.get(index) ?? [];
    group.push({ path, sha256 });
    byShard.set(index, group);
  }
  let marked = 0;
  let complete = byShard.size <= SWEEP_LIMITS.maxShards;
  for (const [index, group] of [...byShard].slice(0, SWEEP_LIMITS.maxShards)) {
    const shard = await manifest.shard(root, index);
    if (!shard) {
      complete = false;
      continue;
    }
    const unchanged = group
      .filter(({ path, sha256 }) => shard.get(path)?.sha256 === sha256)
      .map(({ sha256 }) => sha256);
    // Marked shard by shard: a worker stopped mid-sweep keeps what it marked.
    if (unchanged.length > 0) await store.markReferenced(unchanged, root.version);
    marked += unchanged.length;
  }
  if (!complete) return { done: false, marked };
  const releases = await store.releases();
  const evicted = await store.evictUnreferenced(releases);
  await manifest.retainShards(root, releases);
  await store.setMeta(SWEPT_META_KEY, root.version);
  return { done: true, marked, evicted };
}

/**
 * Sweeps each new root once it is current, one sweep at a time (a release that lands during a
 * sweep is swept after it). A disabled root is not swept: standing down leaves the store alone.
 */
export function releaseSweeper(
  store: () => Promise<SweepStore | undefined>,
  manifest: SweepManifest,
): RootListener {
  let queue: Promise<unknown> = Promise.resolve();
  return (root) => {
    if (root.disabled) return undefined;
    queue = queue
      .then(async () => {
        const opened = await store();
        return opened && sweepRelease(opened, manifest, root);
      })
      .catch(() => undefined);
    return queue;
  };
}
