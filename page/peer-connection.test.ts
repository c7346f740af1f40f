import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isPeerConnectError, PeerConnectError, type SignalData } from '../protocol/index.js';
import { eventually, tick } from './common.test-helper.js';
import { AGENT_LIMITS } from './config.js';
import { type FakeRtcNetwork, installFakeRtc } from './fake-rtc.test-helper.js';
import { PeerConnection } from './peer-connection.js';

let network: FakeRtcNetwork;

beforeEach(() => {
  network = installFakeRtc();
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** Relays each side's signals to the other a macrotask later, in order, like a server would. */
function pair(options: { hold?: (data: SignalData) => boolean } = {}) {
  const held: SignalData[] = [];
  const fromA: SignalData[] = [];
  const a: PeerConnection = new PeerConnection({
    remoteId: 'peer-b',
    initiator: true,
    sendSignal: (data) => {
      fromA.push(data);
      if (options.hold?.(data)) held.push(data);
      else setImmediate(() => void b.handleSignal(data));
    },
  });
  const b: PeerConnection = new PeerConnection({
    remoteId: 'peer-a',
    initiator: false,
    sendSignal: (data) => setImmediate(() => void a.handleSignal(data)),
  });
  const release = () => {
    for (const data of held.splice(0)) setImmediate(() => void b.handleSignal(data));
  };
  return { a, b, release, fromA };
}

/** Every close error a connection reports, in order. */
function closes(connection: PeerConnection): PeerConnectError[] {
  const seen: PeerConnectError[] = [];
  connection.onClose((error) => seen.push(error));
  return seen;
}

function received(connection: PeerConnection): number[][] {
  const seen: number[][] = [];
  connection.onMessage((data) => seen.push([...new Uint8Array(data)]));
  return seen;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

/** The fake RTCPeerConnection behind the n-th PeerConnection made. */
function fakeOf(index: number) {
  const pc = network.connections[index]!;
  return { pc, channel: pc.channels[0]! };
}

describe('PeerConnection', () => {
  it('connects over a pre-negotiated channel and carries binary messages both ways, as copies', async () => {
    const { a, b } = pair();
    await Promise.all([a.opened, b.opened]);
    expect(a.isOpen && b.isOpen).toBe(true);
    expect(fakeOf(0).pc.configuration).toEqual({ iceServers: [] });
    const atA = received(a);
    const atB = received(b);
    const sent = new Uint8Array([1, 2, 3]);
    a.send(sent.buffer);
    sent[0] = 9;
    b.send(new Uint8Array([4]).buffer);
    await eventually(() => atA.length === 1 && atB.length === 1, 'delivery');
    expect(atB).toEqual([[1, 2, 3]]);
    expect(atA).toEqual([[4]]);
  });

  it('keeps candidates that outrun the offer until the offer is set', async () => {
    // The initiator's candidates reach the answerer first: adding them then would throw.
    const { a, b, release, fromA } = pair({ hold: (data) => data.type === 'offer' });
    await eventually(() => fromA.some((d) => d.type === 'candidate'), 'candidates');
    await tick();
    expect(b.closed).toBe(false);
    expect(fakeOf(1).pc.candidates).toEqual([]);
    release();
    await Promise.all([a.opened, b.opened]);
    expect(fakeOf(1).pc.candidates).toHaveLength(1);
  });

  it('a candidate the browser refuses is skipped; the connection goes on and opens', async () => {
    const { a, b } = pair();
    const pcB = fakeOf(1).pc;
    const addIceCandidate = pcB.addIceCandidate.bind(pcB);
    let refused = 0;
    pcB.addIceCandidate = async (candidate: RTCIceCandidateInit) => {
      if (candidate.candidate?.includes('.local')) {
        refused++;
        throw new DOMException('mDNS name did not resolve', 'OperationError');
      }
      return addIceCandidate(candidate);
    };
    // An mDNS candidate first, then the usable one the fake gathers itself.
    setImmediate(() =>
      b.handleSignal({
        type: 'candidate',
        candidate: { candidate: 'candidate:9 1 udp 1 abc.local 9 typ host', sdpMid: '0' },
      }),
    );
    await Promise.all([a.opened, b.opened]);
    expect(refused).toBe(1);
    expect(a.isOpen && b.isOpen).toBe(true);
    expect(await a.selectedPair()).toBe('host-host');
  });

  it('passes its ICE servers to the browser', () => {
    const iceServers = [{ urls: 'stun:stun.example.org:3478' }];
    new PeerConnection({ remoteId: 'x', initiator: false, sendSignal: () => {}, iceServers });
    expect(fakeOf(0).pc.configuration).toEqual({ iceServers });
  });

  it('close twice: one closed event with the first error, everything released once', async () => {
    const { a, b } = pair();
    await Promise.all([a.opened, b.opened]);
    const atA = closes(a);
    const atB = closes(b);
    const first = new PeerConnectError('bad-hash', 'first');
    a.destroy(first);
    a.destroy(new PeerConnectError('peer-timeout', 'second'));
    expect(atA).toEqual([first]);
    expect(a.closed).toBe(true);
    expect(a.isOpen).toBe(false);
    expect(fakeOf(0).pc.connectionState).toBe('closed');
    // A listener added afterwards hears the same error at once.
    expect(closes(a)).toEqual([first]);
    // The far end sees its channel close, once.
    await eventually(() => atB.length > 0, 'the far end closing');
    await tick();
    expect(atB.map((e) => [e.code, e.details])).toEqual([['peer-closed', 'channel closed']]);
    expect(() => a.send(new ArrayBuffer(1))).toThrow(first);
  });

  it('ICE failure closes it once, though the connection and the channel both report it', async () => {
    const { a, b } = pair();
    await Promise.all([a.opened, b.opened]);
    const atA = closes(a);
    fakeOf(0).pc.failIce();
    await tick();
    expect(atA.map((e) => [e.code, e.details])).toEqual([['peer-closed', 'connection failed']]);
    expect(fakeOf(0).pc.connectionState).toBe('closed');
  });

  it('a channel closed by the far end closes it once', async () => {
    const { a, b } = pair();
    await Promise.all([a.opened, b.opened]);
    const atA = closes(a);
    const atB = closes(b);
    fakeOf(1).channel.close();
    await eventually(() => atA.length > 0 && atB.length > 0, 'both ends closing');
    await tick();
    expect(atA.map((e) => e.details)).toEqual(['channel closed']);
    expect(atB.map((e) => e.details)).toEqual(['channel closed']);
    expect(fakeOf(0).pc.connectionState).toBe('closed');
  });

  it('gives up with peer-timeout when the channel is not open by peerConnectTimeoutMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    network.reachable = false;
    const { a, b } = pair();
    const atA = closes(a);
    await eventually(() => fakeOf(0).pc.connectionState === 'connecting', 'ICE checks');
    vi.advanceTimersByTime(AGENT_LIMITS.peerConnectTimeoutMs - 1);
    expect(a.closed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(atA.map((e) => [e.code, e.details])).toEqual([['peer-timeout', 'connect']]);
    expect(isPeerConnectError(await rejection(a.opened), 'peer-timeout')).toBe(true);
    expect(fakeOf(0).pc.connectionState).toBe('closed');
    b.destroy();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clears its connect timer once open, and every timer on close', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const lonely = new PeerConnection({ remoteId: 'x', initiator: true, sendSignal: () => {} });
    expect(vi.getTimerCount()).toBe(1);
    lonely.destroy();
    expect(vi.getTimerCount()).toBe(0);

    const { a, b } = pair();
    expect(vi.getTimerCount()).toBe(2);
    await Promise.all([a.opened, b.opened]);
    expect(vi.getTimerCount()).toBe(0);
    // A drain wait arms the drain deadline; closing clears it and rejects the waiter.
    fakeOf(1).channel.stall();
    while (!a.needsDrain) a.send(new ArrayBuffer(64 * 1024));
    const drained = rejection(a.drained());
    expect(vi.getTimerCount()).toBe(1);
    const error = new PeerConnectError('peer-closed', 'test');
    a.destroy(error);
    expect(await drained).toBe(error);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('needsDrain above the high-water mark; drained() resolves below the low one', async () => {
    const { a, b } = pair();
    await Promise.all([a.opened, b.opened]);
    const atB = received(b);
    await a.drained();
    const { channel } = fakeOf(0);
    channel.stall();
    let sent = 0;
    while (!a.needsDrain) {
      a.send(new ArrayBuffer(64 * 1024));
      sent++;
    }
    expect(channel.bufferedAmount).toBeGreaterThan(AGENT_LIMITS.sendHighWaterMark);
    let resolved = false;
    const drained = a.drained().then(() => {
      resolved = true;
    });
    await tick();
    expect(resolved).toBe(false);
    channel.resume();
    await drained;
    expect(channel.bufferedAmount).toBeLessThanOrEqual(AGENT_LIMITS.sendLowWaterMark);
    await eventually(() => atB.length === sent, 'every message');
    expect(a.isOpen).toBe(true);
  });

  it('closes with peer-timeout when the far end does not read within sendDrainTimeoutMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { a, b } = pair();
    await Promise.all([a.opened, b.opened]);
    const atA = closes(a);
    fakeOf(0).channel.stall();
    while (!a.needsDrain) a.send(new ArrayBuffer(64 * 1024));
    const drained = rejection(a.drained());
    vi.advanceTimersByTime(AGENT_LIMITS.sendDrainTimeoutMs);
    expect(isPeerConnectError(await drained, 'peer-timeout')).toBe(true);
    expect(atA.map((e) => e.details)).toEqual(['send queue does not drain']);
  });

  it('closes with bad-wire-message on a text frame', async () => {
    const { a, b } = pair();
    await Promise.all([a.opened, b.opened]);
    const atA = closes(a);
    fakeOf(1).channel.send('hello');
    await eventually(() => atA.length > 0, 'the close');
    expect(atA.map((e) => e.code)).toEqual(['bad-wire-message']);
  });

  it('closes with bad-signal-message on an offer to the initiator', async () => {
    const a = new PeerConnection({ remoteId: 'x', initiator: true, sendSignal: () => {} });
    const atA = closes(a);
    await a.handleSignal({ type: 'offer', sdp: 'v=0' });
    expect(atA.map((e) => e.code)).toEqual(['bad-signal-message']);
    expect(isPeerConnectError(await rejection(a.opened), 'bad-signal-message')).toBe(true);
    // Signals after the close are ignored.
    await a.handleSignal({ type: 'answer', sdp: 'v=0' });
    expect(atA).toHaveLength(1);
  });

  it('refuses to send before it is open', () => {
    const a = new PeerConnection({ remoteId: 'x', initiator: true, sendSignal: () => {} });
    expect(() => a.send(new ArrayBuffer(1))).toThrow(PeerConnectError);
    a.destroy();
  });
});
