import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CHUNK_SIZE, PeerConnectError, type ServedReport } from '../protocol/index.js';
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
import { DEADLINES } from './deadlines.js';
import { type AgentStep, FakeBridge } from './fake-bridge.test-helper.js';
import { FakeOrigin } from './fake-origin.test-helper.js';
import { peerResponse } from './peer-stream.js';

/** Four chunks, the last one short. */
const { asset, bytes } = makeAsset('/photo.bin', 3 * CHUNK_SIZE + 1234);
const TAIL_AT = (chunk: number) => `bytes=${chunk * CHUNK_SIZE}-`;
/** Stalls pass in a few milliseconds instead of seconds. */
const FAST = 0.002;

let store: AssetStore;
let origin: FakeOrigin;
let reports: ServedReport[];

beforeEach(async () => {
  store = await openTestStore();
  origin = new FakeOrigin().serve(asset.path, bytes);
  reports = recordServed();
});
afterEach(() => {
  vi.unstubAllGlobals();
});

function agentWith(steps: AgentStep[], deadlineScale = FAST): FakeBridge {
  return new FakeBridge({ bytes, sessions: [steps], deadlineScale });
}

async function storedBytes(): Promise<Uint8Array | undefined> {
  const stored = await store.get(asset.sha256);
  return stored && new Uint8Array(await stored.data.arrayBuffer());
}

/**
 * The first chunk waits firstChunkMs; each later one the stall deadline, or less once the
 * throughput floor's budget for the asset is nearly spent.
 */
function expectDeadlines(deadlines: number[], later: number): void {
  expect(deadlines[0]).toBe(DEADLINES.firstChunkMs);
  expect(deadlines).toHaveLength(later + 1);
  for (const ms of deadlines.slice(1)) {
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThanOrEqual(DEADLINES.stallMs);
  }
}

describe('peerResponse', () => {
  it('streams the asset from peers, then stores and announces it', async () => {
    const agent = agentWith(FakeBridge.wholeAsset(asset));
    const { req, settled } = assetRequest(asset);
    const response = await peerResponse(req, agent, store);
    expect(response?.headers.get('X-PeerConnect-Source')).toBe('peer');
    expect(response?.headers.get('Content-Length')).toBe(String(asset.size));
    expect(sameBytes(await bytesOf(response!), bytes)).toBe(true);
    await settled();
    expect(sameBytes(await storedBytes(), bytes)).toBe(true);
    expect(agent.opened).toEqual([asset]);
    expect(agent.stored).toEqual([asset.sha256]);
    expectDeadlines(agent.sessions[0]!.deadlines, 3);
    // Done with the agent: released once, and the origin never asked.
    expect(agent.sessions[0]!.cancels).toBe(1);
    expect(origin.requests).toEqual([]);
    expect(reports).toEqual([
      {
        type: 'pc:served',
        path: asset.path,
        source: 'peer',
        peer: asset.size,
        origin: 0,
        cache: 0,
      },
    ]);
  });

  it('sends nothing when the first chunk is bad, and lets the session go', async () => {
    const agent = agentWith([{ chunk: 0, corrupt: true }]);
    const { req } = assetRequest(asset);
    expect(await peerResponse(req, agent, store)).toBeUndefined();
    expect(agent.sessions[0]!.cancelled).toBe(true);
  });

  it('sends nothing when the first chunk is another one than asked', async () => {
    const agent = agentWith([{ chunk: 1 }]);
    expect(await peerResponse(assetRequest(asset).req, agent, store)).toBeUndefined();
    expect(agent.sessions[0]!.cancelled).toBe(true);
  });

  it('sends nothing when the first chunk misses its deadline', async () => {
    const agent = agentWith(['stall']);
    expect(await peerResponse(assetRequest(asset).req, agent, store)).toBeUndefined();
    expect(agent.sessions[0]!.deadlines).toEqual([DEADLINES.firstChunkMs]);
    expect(agent.sessions[0]!.cancelled).toBe(true);
  });

  it('sends nothing when there is no agent, or nothing to send', async () => {
    const refused = new FakeBridge({ bytes, refuse: 'agent-unavailable' });
    expect(await peerResponse(assetRequest(asset).req, refused, store)).toBeUndefined();
    const empty = makeAsset('/empty.bin', 0).asset;
    const agent = agentWith([]);
    expect(await peerResponse(assetRequest(empty).req, agent, store)).toBeUndefined();
    expect(agent.opened).toEqual([]);
  });

  it('never lets a bad chunk through: the origin serves from that chunk on', async () => {
    const agent = agentWith([{ chunk: 0 }, { chunk: 1, corrupt: true }, { chunk: 2 }]);
    const { req, settled } = assetRequest(asset);
    const response = await peerResponse(req, agent, store);
    const reader = response!.body!.getReader();
    const pieces: Uint8Array[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) pieces.push(r.value);
    // Each piece is one whole chunk, and each is the asset's own bytes at its place.
    expect(pieces.map((p) => p.byteLength)).toEqual([CHUNK_SIZE, CHUNK_SIZE, CHUNK_SIZE, 1234]);
    pieces.forEach((piece, i) => {
      const at = i * CHUNK_SIZE;
      expect(sameBytes(piece, bytes.subarray(at, at + piece.byteLength))).toBe(true);
    });
    await settled();
    expect(agent.sessions[0]!.cancelled).toBe(true);
    expect(origin.requests).toEqual([{ path: asset.path, range: TAIL_AT(1) }]);
    expect(sameBytes(await storedBytes(), bytes)).toBe(true);
    expect(reports).toEqual([
      {
        type: 'pc:served',
        path: asset.path,
        source: 'origin',
        peer: CHUNK_SIZE,
        origin: asset.size - CHUNK_SIZE,
        cache: 0,
      },
    ]);
  });

  it('hands a peer that trickles inside the stall deadline to the origin at the throughput floor', async () => {
    // Real time: the floor is measured on the clock. One chunk every 1.2 s (under the 2 s stall
    // deadline); the budget is peerGraceMs plus the asset's size at minPeerBytesPerSecond.
    const budgetMs = DEADLINES.peerGraceMs + (asset.size / DEADLINES.minPeerBytesPerSecond) * 1000;
    const agent = agentWith(
      [{ chunk: 0 }, { chunk: 1, delayMs: 1200 }, { chunk: 2, delayMs: 1200 }, { chunk: 3 }],
      1,
    );
    const { req, settled } = assetRequest(asset);
    const started = Date.now();
    const response = await peerResponse(req, agent, store);
    expect(sameBytes(await bytesOf(response!), bytes)).toBe(true);
    expect(Date.now() - started).toBeLessThan(budgetMs + 500);
    await settled();
    expect(origin.requests).toEqual([{ path: asset.path, range: TAIL_AT(2) }]);
    expect(sameBytes(await storedBytes(), bytes)).toBe(true);
  });

  it('does not ask the agent’s own tab for an answer: it is fetching, so it is not frozen', async () => {
    const agent = new FakeBridge({
      bytes,
      sessions: [FakeBridge.wholeAsset(asset)],
      silent: true,
      deadlineScale: FAST,
    });
    const { req, settled } = assetRequest(asset);
    agent.agentTab = req.clientId;
    const response = await peerResponse(req, agent, store);
    expect(sameBytes(await bytesOf(response!), bytes)).toBe(true);
    await settled();
    expect(agent.unresponsiveSessions).toEqual([]);
  });

  it('gives up at once on an agent that does not answer (a frozen tab), and says so', async () => {
    const agent = new FakeBridge({
      bytes,
      sessions: [FakeBridge.wholeAsset(asset)],
      silent: true,
      deadlineScale: FAST,
    });
    const { req } = assetRequest(asset);
    expect(await peerResponse(req, agent, store)).toBeUndefined();
    expect(agent.unresponsiveSessions).toHaveLength(1);
    expect(agent.sessions[0]!.deadlines).toEqual([]);
    expect(agent.sessions[0]!.cancels).toBe(1);
  });

  it('resumes from the origin into the same response when the peers stall', async () => {
    const agent = agentWith([{ chunk: 0 }, { chunk: 1 }, 'stall']);
    const { req, settled } = assetRequest(asset);
    const response = await peerResponse(req, agent, store);
    expect(sameBytes(await bytesOf(response!), bytes)).toBe(true);
    await settled();
    expectDeadlines(agent.sessions[0]!.deadlines, 2);
    expect(agent.sessions[0]!.cancels).toBe(1);
    expect(origin.requests).toEqual([{ path: asset.path, range: TAIL_AT(2) }]);
    expect(sameBytes(await storedBytes(), bytes)).toBe(true);
    expect(agent.stored).toHaveLength(1);
    expect(reports).toEqual([
      {
        type: 'pc:served',
        path: asset.path,
        source: 'peer',
        peer: 2 * CHUNK_SIZE,
        origin: asset.size - 2 * CHUNK_SIZE,
        cache: 0,
      },
    ]);
  });

  it('resumes from the origin when the agent gives up mid-way', async () => {
    const agent = agentWith([{ chunk: 0 }, { error: 'agent-unavailable' }]);
    const { req, settled } = assetRequest(asset);
    expect(sameBytes(await bytesOf((await peerResponse(req, agent, store))!), bytes)).toBe(true);
    await settled();
    expect(origin.requests).toEqual([{ path: asset.path, range: TAIL_AT(1) }]);
    expect(sameBytes(await storedBytes(), bytes)).toBe(true);
  });

  it('fails the response rather than splice on an origin tail that no longer matches', async () => {
    // A deploy changed chunk 2 on the origin since the manifest the peers serve.
    origin.serve(asset.path, changedAt(bytes, 2));
    const agent = agentWith([{ chunk: 0 }, 'stall']);
    const { req, settled } = assetRequest(asset);
    const reader = (await peerResponse(req, agent, store))!.body!.getReader();
    const got: Uint8Array[] = [];
    const failure = await (async () => {
      for (;;) {
        const r = await reader.read();
        if (r.done) return undefined;
        got.push(r.value);
      }
    })().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(PeerConnectError);
    expect((failure as InstanceType<typeof PeerConnectError>).code).toBe('origin-error');
    // Chunk 0 from the peer and chunk 1 from the origin were good; the changed chunk 2 never came.
    expect(got.map((g) => g.byteLength)).toEqual([CHUNK_SIZE, CHUNK_SIZE]);
    expect(sameBytes(got[1], bytes.subarray(CHUNK_SIZE, 2 * CHUNK_SIZE))).toBe(true);
    await settled();
    expect(await store.hashes()).toEqual(new Set());
    expect(agent.stored).toEqual([]);
    expect(reports).toEqual([
      {
        type: 'pc:served',
        path: asset.path,
        source: 'origin',
        peer: CHUNK_SIZE,
        origin: CHUNK_SIZE,
        cache: 0,
      },
    ]);
  });

  it('fails the response when the origin tail ends early', async () => {
    origin.serve(asset.path, bytes.subarray(0, 2 * CHUNK_SIZE + 100));
    const agent = agentWith([{ chunk: 0 }, 'stall']);
    const { req, settled } = assetRequest(asset);
    await expect(bytesOf((await peerResponse(req, agent, store))!)).rejects.toSatisfy(
      (err) => err instanceof PeerConnectError && err.code === 'origin-error',
    );
    await settled();
    expect(await store.hashes()).toEqual(new Set());
    expect(reports).toHaveLength(1);
  });

  it('lets the agent go and stores nothing when the page cancels mid-way', async () => {
    // Real deadlines: only the cancel can end the wait for chunk 1.
    const agent = agentWith([{ chunk: 0 }, 'stall'], 1);
    const { req, settled } = assetRequest(asset);
    const reader = (await peerResponse(req, agent, store))!.body!.getReader();
    expect((await reader.read()).value?.byteLength).toBe(CHUNK_SIZE);
    const started = Date.now();
    await reader.cancel();
    await settled();
    expect(Date.now() - started).toBeLessThan(DEADLINES.stallMs / 2);
    expect(agent.sessions[0]!.cancels).toBe(1);
    expect(origin.requests).toEqual([]);
    expect(await store.hashes()).toEqual(new Set());
    expect(agent.stored).toEqual([]);
    expect(reports).toEqual([
      {
        type: 'pc:served',
        path: asset.path,
        source: 'peer',
        peer: CHUNK_SIZE,
        origin: 0,
        cache: 0,
      },
    ]);
  });

  it('cancels the origin tail too when the page cancels during a resume', async () => {
    const agent = agentWith([{ chunk: 0 }, 'stall']);
    const { req, settled } = assetRequest(asset);
    const reader = (await peerResponse(req, agent, store))!.body!.getReader();
    await reader.read();
    expect(sameBytes((await reader.read()).value, bytes.subarray(CHUNK_SIZE, 2 * CHUNK_SIZE))).toBe(
      true,
    );
    await reader.cancel();
    await settled();
    expect(origin.requests).toHaveLength(1);
    expect(origin.cancelledBodies).toBe(1);
    expect(await store.hashes()).toEqual(new Set());
    expect(reports).toEqual([
      {
        type: 'pc:served',
        path: asset.path,
        source: 'origin',
        peer: CHUNK_SIZE,
        origin: CHUNK_SIZE,
        cache: 0,
      },
    ]);
  });
});
