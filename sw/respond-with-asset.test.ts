import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BRIDGE_PROTOCOL, CHUNK_SIZE, type ServedReport } from '../protocol/index.js';
import type { AssetStore } from '../store/index.js';
import { AgentBridge } from './agent-bridge.js';
import {
  assetRequest,
  bytesOf,
  makeAsset,
  openTestStore,
  recordServed,
  sameBytes,
} from './asset-fixture.test-helper.js';
import { DEADLINES, MAX_PEER_ASSET_BYTES } from './deadlines.js';
import { FakeBridge } from './fake-bridge.test-helper.js';
import { FakeOrigin } from './fake-origin.test-helper.js';
import { PrivateAssets } from './private-content.js';
import { respondWithAsset } from './respond-with-asset.js';

const { asset, bytes } = makeAsset('/hero.bin', 2 * CHUNK_SIZE + 500);

let store: AssetStore;
let origin: FakeOrigin;
let reports: ServedReport[];
let privateAssets: PrivateAssets;

beforeEach(async () => {
  store = await openTestStore();
  origin = new FakeOrigin().serve(asset.path, bytes);
  reports = recordServed();
  privateAssets = new PrivateAssets();
});
afterEach(() => {
  vi.unstubAllGlobals();
});

const served = (counts: Partial<ServedReport>): ServedReport => ({
  type: 'pc:served',
  path: asset.path,
  source: 'origin',
  peer: 0,
  origin: 0,
  cache: 0,
  ...counts,
});

async function storeAsset(): Promise<void> {
  const { sha256, path, size, type } = asset;
  expect(await store.put({ sha256, path, size, type }, new Blob([bytes]))).toBe(true);
}

describe('respondWithAsset', () => {
  it('answers from the store when it holds the asset, asking no one', async () => {
    await storeAsset();
    const agent = new FakeBridge({ bytes, sessions: [FakeBridge.wholeAsset(asset)] });
    const { req, settled } = assetRequest(asset);
    const response = await respondWithAsset(req, {
      store: async () => store,
      bridge: agent,
      privateAssets,
    });
    expect(response.headers.get('X-PeerConnect-Source')).toBe('cache');
    expect(sameBytes(await bytesOf(response), bytes)).toBe(true);
    await settled();
    expect(agent.opened).toEqual([]);
    expect(origin.requests).toEqual([]);
    expect(reports).toEqual([served({ source: 'cache', cache: asset.size })]);
  });

  it('answers a range from the store', async () => {
    await storeAsset();
    const { req } = assetRequest(asset, { range: 'bytes=10-19' });
    const response = await respondWithAsset(req, {
      store: async () => store,
      bridge: new FakeBridge({ bytes }),
      privateAssets,
    });
    expect(response.status).toBe(206);
    expect(sameBytes(await bytesOf(response), bytes.subarray(10, 20))).toBe(true);
    expect(origin.requests).toEqual([]);
  });

  it('takes the asset from peers when the store does not have it', async () => {
    const agent = new FakeBridge({ bytes, sessions: [FakeBridge.wholeAsset(asset)] });
    const { req, settled } = assetRequest(asset);
    const response = await respondWithAsset(req, {
      store: async () => store,
      bridge: agent,
      privateAssets,
    });
    expect(response.headers.get('X-PeerConnect-Source')).toBe('peer');
    expect(sameBytes(await bytesOf(response), bytes)).toBe(true);
    await settled();
    expect(origin.requests).toEqual([]);
    expect(await store.hashes()).toEqual(new Set([asset.sha256]));
    expect(reports).toEqual([served({ source: 'peer', peer: asset.size })]);
  });

  it('takes the asset from the origin, and keeps it, when the peers cannot serve it', async () => {
    const agent = new FakeBridge({ bytes, refuse: 'agent-unavailable' });
    const { req, settled } = assetRequest(asset);
    const response = await respondWithAsset(req, {
      store: async () => store,
      bridge: agent,
      privateAssets,
    });
    expect(response.headers.get('X-PeerConnect-Source')).toBeNull();
    expect(sameBytes(await bytesOf(response), bytes)).toBe(true);
    await settled();
    expect(origin.requests).toEqual([{ path: asset.path, range: null }]);
    expect(await store.hashes()).toEqual(new Set([asset.sha256]));
    expect(agent.stored).toHaveLength(1);
    expect(reports).toEqual([served({ origin: asset.size })]);
  });

  it('never stores or shares what the origin marks private, and asks peers for it no more', async () => {
    const markings: Record<string, string>[] = [
      { 'Cache-Control': 'private, max-age=60' },
      { 'Cache-Control': 'no-store' },
      { Vary: 'Accept-Encoding, Cookie' },
    ];
    for (const headers of markings) {
      store = await openTestStore();
      privateAssets = new PrivateAssets();
      origin.serve(asset.path, bytes, { headers });
      reports.length = 0;
      const agent = new FakeBridge({ bytes, refuse: 'no-peers' });
      const first = assetRequest(asset);
      const deps = { store: async () => store, bridge: agent, privateAssets };
      expect(sameBytes(await bytesOf(await respondWithAsset(first.req, deps)), bytes)).toBe(true);
      await first.settled();
      expect(await store.hashes(), JSON.stringify(headers)).toEqual(new Set());
      expect(agent.stored).toEqual([]);
      expect(reports).toEqual([served({ origin: asset.size })]);
      expect(agent.opened).toHaveLength(1);
      const second = assetRequest(asset);
      expect(sameBytes(await bytesOf(await respondWithAsset(second.req, deps)), bytes)).toBe(true);
      await second.settled();
      // Straight to the origin: no find tells the swarm what this visitor looks at.
      expect(agent.opened).toHaveLength(1);
    }
  });

  it('leaves a range it does not hold, and very large assets, to the origin', async () => {
    const agent = new FakeBridge({ bytes, sessions: [FakeBridge.wholeAsset(asset)] });
    const deps = { store: async () => store, bridge: agent, privateAssets };
    const ranged = await respondWithAsset(assetRequest(asset, { range: 'bytes=0-99' }).req, deps);
    expect(ranged.status).toBe(206);
    expect(sameBytes(await bytesOf(ranged), bytes.subarray(0, 100))).toBe(true);
    const huge = { ...asset, size: MAX_PEER_ASSET_BYTES + 1 };
    const whole = await respondWithAsset(assetRequest(huge).req, deps);
    expect(sameBytes(await bytesOf(whole), bytes)).toBe(true);
    expect(agent.opened).toEqual([]);
    expect(origin.requests).toEqual([
      { path: asset.path, range: 'bytes=0-99' },
      { path: asset.path, range: null },
    ]);
  });

  it('works without a store, or with one that fails', async () => {
    const agent = new FakeBridge({ bytes, sessions: [FakeBridge.wholeAsset(asset)] });
    const none = await respondWithAsset(assetRequest(asset).req, {
      store: async () => undefined,
      bridge: agent,
      privateAssets,
    });
    expect(sameBytes(await bytesOf(none), bytes)).toBe(true);
    vi.spyOn(store, 'get').mockRejectedValue(new Error('broken'));
    const broken = await respondWithAsset(assetRequest(asset).req, {
      store: async () => store,
      bridge: new FakeBridge({ bytes, refuse: 'p2p-disabled' }),
      privateAssets,
    });
    expect(sameBytes(await bytesOf(broken), bytes)).toBe(true);
  });

  it('a real agent that does not answer (frozen tab): the origin at once, and the next request skips it', async () => {
    const bridge = new AgentBridge();
    const agent = new MessageChannel();
    let fetches = 0;
    // A tab whose event loop is stopped: it never reads its port.
    agent.port1.onmessage = (event) => {
      if (event.data.type === 'pc:fetch') fetches++;
    };
    agent.port1.close();
    bridge.handleMessage({ type: 'pc:agent-hello', enabled: true, protocol: BRIDGE_PROTOCOL }, [
      agent.port2,
    ]);
    const first = assetRequest(asset);
    const started = Date.now();
    const response = await respondWithAsset(first.req, {
      store: async () => store,
      bridge,
      privateAssets,
    });
    expect(sameBytes(await bytesOf(response), bytes)).toBe(true);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(DEADLINES.agentAnswerMs - 50);
    expect(elapsed).toBeLessThan(DEADLINES.firstChunkMs);
    await first.settled();
    expect(reports.at(-1)).toEqual(served({ source: 'origin', origin: asset.size }));

    await store.delete(asset.sha256);
    const second = assetRequest(asset);
    const again = Date.now();
    await bytesOf(
      await respondWithAsset(second.req, { store: async () => store, bridge, privateAssets }),
    );
    expect(Date.now() - again).toBeLessThan(DEADLINES.agentAnswerMs);
    expect(fetches).toBe(0);
  });

  it('sends pc:cancel over the real bridge when the page cancels a peer response', async () => {
    const bridge = new AgentBridge();
    const agent = new MessageChannel();
    const heard: unknown[] = [];
    let reply: MessagePort | undefined;
    agent.port1.onmessage = (event) => {
      if (event.data.type !== 'pc:fetch') return;
      reply = event.ports[0]!;
      reply.onmessage = (message) => heard.push(message.data);
      const data = bytes.slice(0, CHUNK_SIZE).buffer;
      reply.postMessage({ type: 'pc:chunk', index: 0, data }, [data]);
    };
    bridge.handleMessage({ type: 'pc:agent-hello', enabled: true, protocol: BRIDGE_PROTOCOL }, [
      agent.port2,
    ]);
    try {
      const { req, settled } = assetRequest(asset);
      const response = await respondWithAsset(req, {
        store: async () => store,
        bridge,
        privateAssets,
      });
      const reader = response.body!.getReader();
      expect((await reader.read()).value?.byteLength).toBe(CHUNK_SIZE);
      await reader.cancel();
      await settled();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(heard).toEqual([{ type: 'pc:cancel' }]);
      expect(await store.hashes()).toEqual(new Set());
      expect(origin.requests).toEqual([]);
      expect(reports).toEqual([served({ source: 'peer', peer: CHUNK_SIZE })]);
    } finally {
      reply?.close();
      agent.port1.close();
    }
  });
});
