import { afterEach, describe, expect, it, vi } from 'vitest';
import { MANIFEST_VERSION, makeAsset, openTestStore } from './asset-fixture.test-helper.js';
import { FakeBridge } from './fake-bridge.test-helper.js';
import { storeAndAnnounce } from './store-and-announce.js';

const { asset, bytes } = makeAsset('/font.bin', 70_000);
const target = { asset, release: MANIFEST_VERSION };
const parts = [bytes.subarray(0, 30_000), bytes.subarray(30_000)];

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('storeAndAnnounce', () => {
  it('stores the bytes under the asset hash and tells the agent', async () => {
    const store = await openTestStore();
    const agent = new FakeBridge({ bytes });
    await storeAndAnnounce(target, agent, store, parts);
    const stored = await store.get(asset.sha256);
    expect(stored?.meta).toMatchObject({ path: asset.path, size: asset.size, type: asset.type });
    expect(Buffer.from(await stored!.data.arrayBuffer()).equals(bytes)).toBe(true);
    expect(agent.stored).toEqual([asset.sha256]);
    // Marked with the release it was fetched for, so the retention sweep keeps it.
    expect(stored?.meta.releases).toEqual([MANIFEST_VERSION]);
  });

  it('announces nothing the store refused', async () => {
    const store = await openTestStore();
    vi.spyOn(store, 'put').mockResolvedValue(false);
    const agent = new FakeBridge({ bytes });
    await storeAndAnnounce(target, agent, store, parts);
    expect(agent.stored).toEqual([]);
  });

  it('announces nothing, and does not fail, when the store breaks or is missing', async () => {
    const store = await openTestStore();
    vi.spyOn(store, 'put').mockRejectedValue(new Error('disk on fire'));
    const agent = new FakeBridge({ bytes });
    await storeAndAnnounce(target, agent, store, parts);
    await storeAndAnnounce(target, agent, undefined, parts);
    expect(agent.stored).toEqual([]);
  });
});
