import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isPeerConnectError, PeerConnectError } from '../protocol/index.js';
import { eventually, tick } from './common.test-helper.js';
import { AGENT_LIMITS } from './config.js';
import { type FakeRtcNetwork, installFakeRtc } from './fake-rtc.test-helper.js';
import { FakeSignalingHub } from './fake-signaling.test-helper.js';
import type { UploadRequest } from './peer.js';
import { type DialOutcome, PeerPool } from './peer-pool.js';

/** The content every test request names (uploads are left hanging, so any hash does). */
const SHA = 'ab'.repeat(32);

let network: FakeRtcNetwork;
let hub: FakeSignalingHub;
const pools: PeerPool[] = [];

beforeEach(() => {
  network = installFakeRtc();
  hub = new FakeSignalingHub();
});

afterEach(() => {
  for (const pool of pools.splice(0)) pool.close();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** A pool joined to the hub as `id`; it records uploads asked of it. */
function makePool(id: string) {
  const uploads: UploadRequest[] = [];
  const changes = { count: 0 };
  const dials: DialOutcome[] = [];
  const pool: PeerPool = new PeerPool({
    relay: hub.relay(id, (from, data) => pool.handleSignal(from, data)),
    // Uploads are left hanging: a request stays in flight until the test ends it.
    onUpload: (_peer, request) => uploads.push(request),
    onChange: () => changes.count++,
    onDial: (outcome) => dials.push(outcome),
  });
  pools.push(pool);
  return { id, pool, uploads, changes, dials };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

const silentSink = { onChunk: () => {}, onEnd: () => {} };

describe('PeerPool', () => {
  it('dials a peer once and reuses the connection, from either side', async () => {
    const a = makePool('peer-a');
    const b = makePool('peer-b');
    const first = a.pool.connect('peer-b');
    const second = a.pool.connect('peer-b');
    const peer = await first;
    expect(await second).toBe(peer);
    expect(await a.pool.connect('peer-b')).toBe(peer);
    expect(peer.id).toBe('peer-b');
    expect(network.connections).toHaveLength(2);
    // The dialled side keeps the incoming connection and reuses it too.
    await eventually(() => b.pool.size === 1, 'the far end');
    const back = await b.pool.connect('peer-a');
    expect(back.id).toBe('peer-a');
    expect(network.connections).toHaveLength(2);
    expect(a.changes.count).toBeGreaterThan(0);
  });

  it('dials at most maxPeerConnections at once, and ignores offers past that', async () => {
    network.reachable = false;
    const a = makePool('peer-a');
    const max = AGENT_LIMITS.maxPeerConnections;
    const others = Array.from({ length: max }, (_, i) => makePool(`peer-x${i}`));
    const pending = others.map((o) => rejection(a.pool.connect(o.id)));
    await tick();
    const err = await rejection(a.pool.connect('peer-one-too-many'));
    expect(isPeerConnectError(err, 'peer-busy')).toBe(true);
    // An offer from one more peer is not answered while every slot is still connecting.
    const late = makePool('peer-late');
    void rejection(late.pool.connect('peer-a'));
    await eventually(() => hub.relayed.some((s) => s.from === 'peer-late'), 'the offer');
    for (let i = 0; i < 5; i++) await tick();
    expect(hub.relayed.filter((s) => s.from === 'peer-a' && s.to === 'peer-late')).toEqual([]);
    // One RTCPeerConnection per dial here, one per answer at each far end, and the late dial.
    expect(network.connections).toHaveLength(2 * max + 1);
    a.pool.close();
    for (const result of await Promise.all(pending)) {
      expect(isPeerConnectError(result, 'peer-closed')).toBe(true);
    }
  });

  it('at the cap, closes the longest-idle peer that has nothing in flight to make room', async () => {
    const a = makePool('peer-a');
    const max = AGENT_LIMITS.maxPeerConnections;
    const others = Array.from({ length: max + 1 }, (_, i) => makePool(`peer-x${i}`));
    const peers = await Promise.all(others.slice(0, max).map((o) => a.pool.connect(o.id)));
    expect(a.pool.size).toBe(max);
    // peers[0] is the idlest but busy with a request; peers[1] is the idlest with nothing to do.
    peers.forEach((peer, i) => {
      peer.lastActivity = 1000 + i;
    });
    peers[0]!.request(SHA, 0, 1, silentSink);
    peers[0]!.lastActivity = 0;
    const extra = await a.pool.connect(others[max]!.id);
    expect(extra.id).toBe(others[max]!.id);
    expect(peers[0]!.closed).toBe(false);
    expect(peers[1]!.closed).toBe(true);
    expect(peers.slice(2).every((peer) => !peer.closed)).toBe(true);
    expect(a.pool.size).toBe(max);
  });

  it('reports the candidate pair of each connection it opens', async () => {
    const a = makePool('peer-a');
    makePool('peer-b');
    await a.pool.connect('peer-b');
    await eventually(() => a.dials.length === 1, 'the dial report');
    expect(a.dials).toEqual([{ ok: true, pair: 'host-host' }]);
  });

  it('a peer it could not reach is reported once and never dialled again', async () => {
    vi.useFakeTimers();
    network.reachable = false;
    const a = makePool('peer-a');
    makePool('peer-b');
    const first = rejection(a.pool.connect('peer-b'));
    await vi.advanceTimersByTimeAsync(AGENT_LIMITS.peerConnectTimeoutMs);
    expect(isPeerConnectError(await first, 'peer-timeout')).toBe(true);
    expect(a.dials).toEqual([{ ok: false, failure: 'connect-timeout' }]);
    const connectionsSoFar = network.connections.length;
    network.reachable = true;
    expect(a.pool.isUseless('peer-b')).toBe(true);
    expect(isPeerConnectError(await rejection(a.pool.connect('peer-b')), 'peer-unreachable')).toBe(
      true,
    );
    expect(network.connections).toHaveLength(connectionsSoFar);
  });

  it('a connection still pending after one dial budget is not worth waiting on again', async () => {
    vi.useFakeTimers();
    network.reachable = false;
    const a = makePool('peer-a');
    makePool('peer-b');
    const dialled = rejection(a.pool.connect('peer-b'));
    expect(a.pool.isUseless('peer-b')).toBe(false);
    await vi.advanceTimersByTimeAsync(AGENT_LIMITS.peerDialWaitMs);
    expect(a.pool.isUseless('peer-b')).toBe(true);
    await vi.advanceTimersByTimeAsync(AGENT_LIMITS.peerConnectTimeoutMs);
    await dialled;
  });

  it('ICE failing before the channel opened counts as ice-failed', async () => {
    const a = makePool('peer-a');
    makePool('peer-b');
    network.reachable = false;
    const dialled = rejection(a.pool.connect('peer-b'));
    await eventually(() => network.connections.length === 2, 'both ends');
    network.connections[0]!.failIce();
    await dialled;
    expect(a.dials).toEqual([{ ok: false, failure: 'ice-failed' }]);
    expect(a.pool.isUseless('peer-b')).toBe(true);
  });

  it('drops a peer whose connection closed, and dials it afresh next time', async () => {
    const a = makePool('peer-a');
    const b = makePool('peer-b');
    const peer = await a.pool.connect('peer-b');
    await eventually(() => b.pool.size === 1, 'the far end');
    const changesBefore = a.changes.count;
    // The far end closes the connection.
    (await b.pool.connect('peer-a')).destroy(new PeerConnectError('peer-closed', 'bye'));
    await eventually(() => a.pool.size === 0, 'the drop');
    expect(peer.closed).toBe(true);
    expect(a.changes.count).toBeGreaterThan(changesBefore);
    expect(b.pool.size).toBe(0);
    const again = await a.pool.connect('peer-b');
    expect(again).not.toBe(peer);
    expect(again.closed).toBe(false);
    expect(network.connections).toHaveLength(4);
  });

  it('a banned peer is closed, never dialled again and its offers are ignored', async () => {
    const a = makePool('peer-a');
    const b = makePool('peer-b');
    const peer = await a.pool.connect('peer-b');
    const error = new PeerConnectError('bad-hash', 'chunk 3');
    a.pool.ban('peer-b', error);
    expect(peer.closed).toBe(true);
    expect(a.pool.isUseless('peer-b')).toBe(true);
    expect(a.pool.isUseless('peer-c')).toBe(false);
    expect(isPeerConnectError(await rejection(a.pool.connect('peer-b')), 'bad-hash')).toBe(true);
    await eventually(() => b.pool.size === 0, 'the far end');
    const made = network.connections.length;
    void rejection(b.pool.connect('peer-a'));
    await eventually(
      () => hub.relayed.some((s) => s.from === 'peer-b' && s.to === 'peer-a'),
      'offer',
    );
    for (let i = 0; i < 5; i++) await tick();
    // Only the banned side's own dial exists: nobody answered it.
    expect(network.connections).toHaveLength(made + 1);
    expect(a.pool.size).toBe(0);
  });

  it('banning a peer that is still connecting closes that connection', async () => {
    network.reachable = false;
    const a = makePool('peer-a');
    makePool('peer-b');
    const dial = rejection(a.pool.connect('peer-b'));
    await tick();
    a.pool.ban('peer-b', new PeerConnectError('bad-hash'));
    expect(isPeerConnectError(await dial, 'bad-hash')).toBe(true);
    expect(network.connections[0]!.connectionState).toBe('closed');
  });

  it('when both dial at once, one connection survives and both get their peer', async () => {
    const a = makePool('peer-a');
    const b = makePool('peer-b');
    const [atA, atB] = await Promise.all([a.pool.connect('peer-b'), b.pool.connect('peer-a')]);
    expect(atA.id).toBe('peer-b');
    expect(atB.id).toBe('peer-a');
    expect(atA.closed || atB.closed).toBe(false);
    expect(network.live).toHaveLength(2);
    expect(a.pool.size).toBe(1);
    expect(b.pool.size).toBe(1);
  });

  it('close() closes every connection and refuses new ones', async () => {
    const a = makePool('peer-a');
    const b = makePool('peer-b');
    const peer = await a.pool.connect('peer-b');
    a.pool.close();
    expect(peer.closed).toBe(true);
    expect(network.connections[0]!.connectionState).toBe('closed');
    expect(isPeerConnectError(await rejection(a.pool.connect('peer-b')), 'peer-closed')).toBe(true);
    await eventually(() => b.pool.size === 0, 'the far end');
  });

  it('closes a peer idle for peerIdleMs, but not one with an upload in flight', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'Date'] });
    const a = makePool('peer-a');
    makePool('peer-b');
    const c = makePool('peer-c');
    const idle = await a.pool.connect('peer-b');
    const busy = await a.pool.connect('peer-c');
    (await c.pool.connect('peer-a')).request(SHA, 0, 1, silentSink);
    await eventually(() => a.uploads.length === 1, 'the upload');
    expect(busy.uploadsInFlight).toBe(1);
    vi.advanceTimersByTime(AGENT_LIMITS.peerIdleSweepMs);
    expect(idle.closed || busy.closed).toBe(false);
    idle.lastActivity = busy.lastActivity = Date.now() - AGENT_LIMITS.peerIdleMs - 1;
    vi.advanceTimersByTime(AGENT_LIMITS.peerIdleSweepMs - 1);
    expect(idle.closed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(idle.closed).toBe(true);
    expect(busy.closed).toBe(false);
  });
});
