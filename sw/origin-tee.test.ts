import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CHUNK_SIZE, type ServedReport } from '../protocol/index.js';
import type { AssetStore } from '../store/index.js';
import {
  assetRequest,
  bytesOf,
  changedAt,
  makeAsset,
  openTestStore,
  recordServed,
  sameBytes,
} from './asset-fixture.test-helper.js';
import { FakeBridge } from './fake-bridge.test-helper.js';
import { FakeOrigin } from './fake-origin.test-helper.js';
import { originTeeResponse } from './origin-tee.js';
import { PrivateAssets } from './private-content.js';

const { asset, bytes } = makeAsset('/style.bin', 2 * CHUNK_SIZE + 999);

let store: AssetStore;
let origin: FakeOrigin;
let agent: FakeBridge;
let reports: ServedReport[];

beforeEach(async () => {
  store = await openTestStore();
  origin = new FakeOrigin();
  agent = new FakeBridge({ bytes });
  reports = recordServed();
});
afterEach(() => {
  vi.unstubAllGlobals();
});

const originReport = (bytesFromOrigin: number): ServedReport => ({
  type: 'pc:served',
  path: asset.path,
  source: 'origin',
  peer: 0,
  origin: bytesFromOrigin,
  cache: 0,
});

describe('originTeeResponse', () => {
  it("passes the origin's answer on, then stores and announces the verified copy", async () => {
    origin.serve(asset.path, bytes);
    const { req, settled } = assetRequest(asset);
    const response = await originTeeResponse(req, agent, store, new PrivateAssets());
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Length')).toBe(String(asset.size));
    expect(sameBytes(await bytesOf(response), bytes)).toBe(true);
    await settled();
    const stored = await store.get(asset.sha256);
    expect(sameBytes(new Uint8Array(await stored!.data.arrayBuffer()), bytes)).toBe(true);
    expect(agent.stored).toEqual([asset.sha256]);
    expect(origin.requests).toEqual([{ path: asset.path, range: null }]);
    expect(reports).toEqual([originReport(asset.size)]);
  });

  it('serves, but neither stores nor announces, a body that does not match the manifest', async () => {
    // The origin's file changed since the manifest (a deploy): the page gets what the origin
    // has, as it would without PeerConnect, but no peer may be offered it under the old hash.
    const changed = changedAt(bytes, 1);
    origin.serve(asset.path, changed);
    const { req, settled } = assetRequest(asset);
    expect(
      sameBytes(
        await bytesOf(await originTeeResponse(req, agent, store, new PrivateAssets())),
        changed,
      ),
    ).toBe(true);
    await settled();
    expect(await store.hashes()).toEqual(new Set());
    expect(agent.stored).toEqual([]);
    expect(reports).toEqual([originReport(asset.size)]);
  });

  it('neither stores nor announces a body of another size than the manifest says', async () => {
    const longer = new Uint8Array(asset.size + 1);
    longer.set(bytes);
    origin.serve(asset.path, longer);
    const { req, settled } = assetRequest(asset);
    await bytesOf(await originTeeResponse(req, agent, store, new PrivateAssets()));
    await settled();
    expect(await store.hashes()).toEqual(new Set());
    expect(agent.stored).toEqual([]);
  });

  it('passes an error answer on untouched, and stores nothing', async () => {
    const { req, settled } = assetRequest(asset);
    const response = await originTeeResponse(req, agent, store, new PrivateAssets());
    expect(response.status).toBe(404);
    expect(await response.text()).toBe('not found');
    await settled();
    expect(await store.hashes()).toEqual(new Set());
    expect(reports).toEqual([originReport(0)]);
  });

  it('stores nothing when the body breaks off, and reports what came', async () => {
    origin.serve(asset.path, bytes, { breakAfter: 50_000 });
    const { req, settled } = assetRequest(asset);
    await expect(
      bytesOf(await originTeeResponse(req, agent, store, new PrivateAssets())),
    ).rejects.toThrow();
    await settled();
    expect(await store.hashes()).toEqual(new Set());
    expect(agent.stored).toEqual([]);
    // Once, with what the worker read before the error (a broken stream drops what it queued).
    expect(reports).toHaveLength(1);
    expect(reports[0]!.origin).toBeGreaterThan(0);
    expect(reports[0]!.origin).toBeLessThanOrEqual(50_000);
  });

  it('still stores what the page stopped reading: the download is not wasted', async () => {
    origin.serve(asset.path, bytes);
    const { req, settled } = assetRequest(asset);
    const reader = (
      await originTeeResponse(req, agent, store, new PrivateAssets())
    ).body!.getReader();
    await reader.read();
    await reader.cancel();
    await settled();
    expect(await store.hashes()).toEqual(new Set([asset.sha256]));
    expect(agent.stored).toHaveLength(1);
    expect(reports).toEqual([originReport(asset.size)]);
  });
});
