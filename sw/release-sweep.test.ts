import { afterEach, describe, expect, it, vi } from 'vitest';
import { MANIFEST_LIMITS, type ManifestAsset } from '../protocol/index.js';
import type { AssetStore } from '../store/index.js';
import { makeAsset, openTestStore } from './asset-fixture.test-helper.js';
import { emptyAsset, ManifestOrigin } from './manifest-fixture.test-helper.js';
import { ManifestSource } from './manifest-source.js';
import { releaseSweeper, SWEEP_LIMITS, sweepRelease } from './release-sweep.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

const kept = makeAsset('/kept.css', 3000, 1);
const changed = makeAsset('/changed.css', 2000, 2);
const dropped = makeAsset('/dropped.js', 1000, 3);
const changedNextAsset = makeAsset('/changed.css', 2000, 9).asset;

async function put(
  store: AssetStore,
  item: { asset: ManifestAsset; bytes: Uint8Array },
  release: string,
) {
  const { path, size, type, sha256 } = item.asset;
  expect(
    await store.put({ path, size, type, sha256 }, new Blob([item.bytes as BlobPart]), release),
  ).toBe(true);
}

/** A store holding three assets of release 1, and a manifest source on that origin. */
async function setUp() {
  const store = await openTestStore();
  const origin = await ManifestOrigin.publish([kept.asset, changed.asset, dropped.asset]);
  const source = new ManifestSource(async () => store, origin.fetch);
  const first = (await source.refresh())!;
  await put(store, kept, first.version);
  await put(store, changed, first.version);
  await put(store, dropped, first.version);
  expect((await sweepRelease(store, source, first))?.done).toBe(true);
  return { store, origin, source, first };
}

/** Publishes a release with `/kept.css` unchanged, `/changed.css` changed, `/dropped.js` gone. */
async function nextRelease(origin: ManifestOrigin, source: ManifestSource, extra: number) {
  await origin.release([kept.asset, changedNextAsset, emptyAsset(`/extra-${extra}.txt`)]);
  return (await source.refresh())!;
}

describe('sweepRelease', () => {
  it('marks unchanged assets with the new release and evicts what no kept release references', async () => {
    const { store, origin, source, first } = await setUp();
    const second = await nextRelease(origin, source, 2);
    expect(await sweepRelease(store, source, second)).toEqual({
      done: true,
      marked: 1,
      evicted: { assets: 0, bytes: 0 },
    });
    expect(await store.releases()).toEqual([second.version, first.version]);
    // The old bytes stay while release 1 is kept, but only under their own hash.
    expect(await store.has(changed.asset.sha256)).toBe(true);

    await sweepRelease(store, source, await nextRelease(origin, source, 3));
    const fourth = await nextRelease(origin, source, 4);
    const result = await sweepRelease(store, source, fourth);
    expect(result).toEqual({
      done: true,
      marked: 1,
      evicted: { assets: 2, bytes: changed.asset.size + dropped.asset.size },
    });
    expect([...(await store.hashes())]).toEqual([kept.asset.sha256]);
    const record = (await store.records())[0];
    expect(record?.releases[0]).toBe(fourth.version);
    // Persisted shards go with the releases that listed them.
    const shardKey = (hash: string | undefined) => `manifest-shard:${hash}`;
    expect(await store.getMeta(shardKey(first.shards[0]?.sha256))).toBeUndefined();
    expect(await store.getMeta(shardKey(fourth.shards[0]?.sha256))).toBeInstanceOf(Uint8Array);
  });

  it('sweeps a release once, and again after a sweep that could not read a shard', async () => {
    const { store, origin, source } = await setUp();
    const second = await nextRelease(origin, source, 2);
    origin.down = true;
    expect(await sweepRelease(store, source, second)).toEqual({ done: false, marked: 0 });
    expect((await store.hashes()).size).toBe(3);
    origin.down = false;
    expect((await sweepRelease(store, source, second))?.done).toBe(true);
    expect(await sweepRelease(store, source, second)).toBeUndefined();
  });

  it('stops short of evicting when the stored paths span more shards than a sweep may read', async () => {
    const store = await openTestStore();
    // Shards hold about minShardAssets + assetsPerShard assets each.
    const perShard = MANIFEST_LIMITS.minShardAssets + MANIFEST_LIMITS.assetsPerShard;
    const assets = Array.from({ length: (SWEEP_LIMITS.maxShards + 50) * perShard }, (_, i) =>
      emptyAsset(`/file-${i}.txt`, i.toString(16).padStart(64, '0')),
    );
    const origin = await ManifestOrigin.publish(assets);
    const source = new ManifestSource(async () => store, origin.fetch);
    const root = (await source.refresh())!;
    expect(root.shards.length).toBeGreaterThan(SWEEP_LIMITS.maxShards);
    const spread = new Map<number, ManifestAsset>();
    for (const [index, shard] of origin.files.shards.entries()) {
      const first = shard.shard.assets[0];
      if (first && spread.size <= SWEEP_LIMITS.maxShards) spread.set(index, first);
    }
    for (const asset of spread.values()) {
      await store.put(asset, new Blob([]), root.version);
    }
    const result = await sweepRelease(store, source, root);
    expect(result?.done).toBe(false);
    expect(origin.shardRequests()).toHaveLength(SWEEP_LIMITS.maxShards);
  }, 60_000);
});

describe('releaseSweeper', () => {
  it('sweeps each new root in turn, and never a disabled one', async () => {
    const { store, origin, source, first } = await setUp();
    source.onChange(releaseSweeper(async () => store, source));
    await nextRelease(origin, source, 2);
    await source.settled();
    expect((await store.releases())[1]).toBe(first.version);
    await origin.release([kept.asset], { disabled: true });
    await source.refresh();
    await source.settled();
    expect(await store.releases()).not.toContain(origin.version);
  });
});
