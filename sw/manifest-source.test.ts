import { afterEach, describe, expect, it, vi } from 'vitest';
import { MANIFEST_LIMITS, PATHS, shardOf } from '../protocol/index.js';
import { DEADLINES } from './deadlines.js';
import {
  emptyAsset,
  ManifestOrigin,
  MemoryMeta,
  manyAssets,
} from './manifest-fixture.test-helper.js';
import { ManifestSource } from './manifest-source.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('ManifestSource: the root', () => {
  it('shares one request between concurrent refreshes (install and the first asset request)', async () => {
    const origin = await ManifestOrigin.publish([emptyAsset('/a.txt')]);
    const meta = new MemoryMeta();
    const source = new ManifestSource(async () => meta, origin.fetch);
    const [first, second] = await Promise.all([source.refresh(), source.root()]);
    expect(origin.requests).toEqual([PATHS.manifest]);
    expect(first?.version).toBe(origin.version);
    expect(second?.version).toBe(origin.version);
    expect(meta.values.get('manifest-root')).toEqual({
      root: origin.files.root,
      etag: `"${origin.version}"`,
    });
  });

  it('revalidates with the ETag and keeps the root on 304', async () => {
    const origin = await ManifestOrigin.publish([emptyAsset('/a.txt')]);
    const source = new ManifestSource(async () => new MemoryMeta(), origin.fetch);
    const changes: string[] = [];
    source.onChange((root) => {
      changes.push(root.version);
      return undefined;
    });
    await source.refresh();
    expect((await source.refresh())?.version).toBe(origin.version);
    expect(changes).toEqual([origin.version]);
  });

  it('keeps the previous root when the origin sends a bad one or fails', async () => {
    const origin = await ManifestOrigin.publish([emptyAsset('/a.txt')]);
    const good = origin.files.root;
    let body: unknown = good;
    const fetchImpl = (async () => Response.json(body)) as typeof fetch;
    const source = new ManifestSource(async () => new MemoryMeta(), fetchImpl);
    await source.refresh();
    body = { ...good, version: 'f'.repeat(64) };
    expect((await source.refresh())?.version).toBe(good.version);
    origin.down = true;
    const failing = new ManifestSource(async () => new MemoryMeta(), origin.fetch);
    expect(await failing.refresh()).toBeUndefined();
  });

  it('does not read a root body past the file limit', async () => {
    const origin = await ManifestOrigin.publish([emptyAsset('/a.txt')]);
    const padded = JSON.stringify(origin.files.root).replace(
      '{',
      `{"pad":"${' '.repeat(MANIFEST_LIMITS.maxFileBytes)}",`,
    );
    const source = new ManifestSource(
      async () => new MemoryMeta(),
      (async () => new Response(padded)) as typeof fetch,
    );
    expect(await source.refresh()).toBeUndefined();
    const fits = new ManifestSource(
      async () => new MemoryMeta(),
      (async () => new Response(JSON.stringify(origin.files.root))) as typeof fetch,
    );
    expect((await fits.refresh())?.version).toBe(origin.version);
  });

  it('starts from the saved root without the network, and ignores a damaged one', async () => {
    const origin = await ManifestOrigin.publish([emptyAsset('/saved.txt')]);
    const meta = new MemoryMeta();
    meta.values.set('manifest-root', { root: origin.files.root, etag: '"s"' });
    origin.down = true;
    const source = new ManifestSource(async () => meta, origin.fetch);
    expect((await source.root())?.version).toBe(origin.version);
    expect(origin.requests).toEqual([]);

    origin.down = false;
    meta.values.set('manifest-root', { root: { ...origin.files.root, assetCount: 7 }, etag: null });
    const fresh = new ManifestSource(async () => meta, origin.fetch);
    expect((await fresh.root())?.version).toBe(origin.version);
    expect(origin.requests).toEqual([PATHS.manifest]);
  });

  it('gives up on a root request that stalls, so routed requests are not held', async () => {
    const origin = await ManifestOrigin.publish([emptyAsset('/a.txt')]);
    origin.stalled.add(PATHS.manifest);
    const source = new ManifestSource(async () => new MemoryMeta(), origin.fetch);
    const started = Date.now();
    expect(await source.resolve('/a.txt')).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(DEADLINES.resolveMs + 500);
    // The stalled request does not pin later revalidations.
    origin.stalled.clear();
    await new Promise((resolve) => setTimeout(resolve, DEADLINES.manifestFetchMs));
    expect((await source.refresh())?.version).toBe(origin.version);
  });

  it('refreshes when a response names another release, at most once per interval', async () => {
    const origin = await ManifestOrigin.publish([emptyAsset('/a.txt')]);
    const source = new ManifestSource(async () => new MemoryMeta(), origin.fetch);
    await source.refresh();
    const old = origin.version;
    await origin.release([emptyAsset('/a.txt'), emptyAsset('/b.txt')]);
    source.noticeRelease(old);
    source.noticeRelease(null);
    expect(origin.requests).toHaveLength(1);
    // Fresh after the last check: a new release header waits for the interval.
    source.noticeRelease(origin.version);
    expect(origin.requests).toHaveLength(1);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + DEADLINES.releaseRecheckMs);
    source.noticeRelease(origin.version);
    source.noticeRelease(origin.version);
    vi.useRealTimers();
    expect((await source.refresh())?.version).toBe(origin.version);
    expect(origin.requests.filter((path) => path === PATHS.manifest)).toHaveLength(2);
  });
  it('refreshes once the interval is over when a new release was named too soon', async () => {
    const origin = await ManifestOrigin.publish([emptyAsset('/a.txt')]);
    const source = new ManifestSource(async () => new MemoryMeta(), origin.fetch);
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout'] });
    await source.refresh();
    await origin.release([emptyAsset('/b.txt')]);
    source.noticeRelease(origin.version);
    source.noticeRelease(origin.version);
    const settled = source.settled();
    await vi.advanceTimersByTimeAsync(DEADLINES.releaseRecheckMs - 10);
    expect(origin.requests).toEqual([PATHS.manifest]);
    await vi.advanceTimersByTimeAsync(20);
    await settled;
    expect(origin.requests).toEqual([PATHS.manifest, PATHS.manifest]);
    expect(source.peek()?.version).toBe(origin.version);
  });
});

describe('ManifestSource: shards on demand', () => {
  it('fetches only the shard of the requested path, once for concurrent lookups', async () => {
    const assets = manyAssets(1000);
    const origin = await ManifestOrigin.publish(assets);
    const { root } = origin.files;
    expect(root.shards.length).toBeGreaterThan(2);
    const source = new ManifestSource(async () => new MemoryMeta(), origin.fetch);
    const path = '/file-17.txt';
    const found = await Promise.all([source.resolve(path), source.resolve(path)]);
    expect(found[0]).toEqual({ asset: assets[17], release: root.version });
    expect(found[1]).toEqual(found[0]);
    const index = shardOf(path, root);
    expect(origin.shardRequests()).toEqual([`${PATHS.shards}${root.shards[index]?.sha256}.json`]);
    // A path the manifest does not list costs at most its own shard.
    expect(await source.resolve('/not-listed.css')).toBeUndefined();
    expect(origin.shardRequests().length).toBeLessThanOrEqual(2);
  });

  it('rejects a shard whose hash is not the one the root lists', async () => {
    const origin = await ManifestOrigin.publish(manyAssets(600));
    const { root } = origin.files;
    const index = shardOf('/file-3.txt', root);
    origin.damaged.add(index);
    const meta = new MemoryMeta();
    const source = new ManifestSource(async () => meta, origin.fetch);
    expect(await source.resolve('/file-3.txt')).toBeUndefined();
    expect(meta.values.has(`manifest-shard:${root.shards[index]?.sha256}`)).toBe(false);
    origin.damaged.clear();
    expect((await source.resolve('/file-3.txt'))?.asset.path).toBe('/file-3.txt');
  });

  it('reads persisted shards back after a restart, and refetches a damaged copy', async () => {
    const origin = await ManifestOrigin.publish(manyAssets(600));
    const meta = new MemoryMeta();
    const first = new ManifestSource(async () => meta, origin.fetch);
    await first.resolve('/file-9.txt');
    await new Promise((resolve) => setTimeout(resolve, 10));
    const fetched = origin.requests.length;
    const restarted = new ManifestSource(async () => meta, origin.fetch);
    expect((await restarted.resolve('/file-9.txt'))?.asset.path).toBe('/file-9.txt');
    expect(origin.requests).toHaveLength(fetched);

    const { root } = origin.files;
    const key = `manifest-shard:${root.shards[shardOf('/file-9.txt', root)]?.sha256}`;
    const copy = (meta.values.get(key) as Uint8Array).slice();
    copy[5] = (copy[5] ?? 0) ^ 1;
    meta.values.set(key, copy);
    const again = new ManifestSource(async () => meta, origin.fetch);
    expect((await again.resolve('/file-9.txt'))?.asset.path).toBe('/file-9.txt');
    expect(origin.shardRequests()).toHaveLength(2);
  });

  it('answers undefined within the deadline when the shard stalls', async () => {
    const origin = await ManifestOrigin.publish(manyAssets(600));
    const source = new ManifestSource(async () => new MemoryMeta(), origin.fetch);
    await source.refresh();
    const { root } = origin.files;
    const index = shardOf('/file-1.txt', root);
    origin.stalled.add(`${PATHS.shards}${root.shards[index]?.sha256}.json`);
    const started = Date.now();
    expect(await source.resolve('/file-1.txt')).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(DEADLINES.resolveMs - 50);
    expect(Date.now() - started).toBeLessThan(DEADLINES.resolveMs + 500);
  });

  it('resolves nothing for a disabled root', async () => {
    const origin = await ManifestOrigin.publish([emptyAsset('/a.txt')], { disabled: true });
    const source = new ManifestSource(async () => new MemoryMeta(), origin.fetch);
    expect(await source.resolve('/a.txt')).toBeUndefined();
    expect(origin.shardRequests()).toEqual([]);
  });
});
