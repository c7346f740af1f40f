import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type AgentReplyMessage,
  CHUNK_SIZE,
  chunkCount,
  createManifest,
  decodeWireMessage,
  ManifestIndex,
  parseAgentReply,
} from '../protocol/index.js';
import { assetOf, eventually, tick } from './common.test-helper.js';
import { AGENT_LIMITS } from './config.js';
import {
  type FakeRTCDataChannel,
  type FakeRtcNetwork,
  installFakeRtc,
} from './fake-rtc.test-helper.js';
import { hubAt, resetHubs } from './fake-signaling.test-helper.js';
import type { DialOutcome } from './peer-pool.js';
import { SwarmSession } from './swarm-session.js';

// Signaling is an in-memory hub per URL; peers connect over the fake RTC; the rest is real.
vi.mock('./signaling-client.js', async () => {
  const { FakeSignalingClient } = await import('./fake-signaling.test-helper.js');
  return { SignalingClient: FakeSignalingClient };
});

const SIGNAL_URL = 'ws://origin.test/peerconnect/signal';
const SMALL = new Uint8Array(randomBytes(700));
const BIG = new Uint8Array(randomBytes(40 * CHUNK_SIZE + 777));
const BIG_CHUNKS = chunkCount(BIG.length);
/** The chunks a seeder blocked on its send queue still sends: one per upload (request) in flight. */
const PENDING_CHUNKS = AGENT_LIMITS.requestsInFlightPerPeer * CHUNK_SIZE;

let network: FakeRtcNetwork;
let index: ManifestIndex;
let small: number;
let big: number;
const sessions: SwarmSession[] = [];

beforeEach(async () => {
  network = installFakeRtc();
  index = new ManifestIndex(
    await createManifest([assetOf('/small.css', SMALL, 'text/css'), assetOf('/big.bin', BIG)]),
  );
  small = index.indexOf('/small.css')!;
  big = index.indexOf('/big.bin')!;
});

afterEach(() => {
  for (const session of sessions.splice(0)) session.close();
  resetHubs();
  vi.unstubAllGlobals();
});

/** BIG with one byte of every chunk flipped: the right size, the wrong bytes. */
function corrupted(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  for (let at = 0; at < copy.length; at += CHUNK_SIZE) copy[at]! ^= 0xff;
  return copy;
}

/** A leader's session holding `held` (manifest indexes) in its store. */
function makeSession(held: number[] = [], options: { bigBytes?: Uint8Array } = {}) {
  const blobs = new Map<string, Blob>([
    [index.get(small)!.sha256, new Blob([SMALL])],
    [index.get(big)!.sha256, new Blob([(options.bigBytes ?? BIG) as Uint8Array<ArrayBuffer>])],
  ]);
  const hashes = new Set(held.map((i) => index.get(i)!.sha256));
  const stats = {
    bytesUploaded: 0,
    peers: 0,
    dials: [] as DialOutcome[],
    setPeers(peers: number) {
      this.peers = peers;
    },
    recordDial(outcome: DialOutcome) {
      this.dials.push(outcome);
    },
  };
  const store = {
    getBlob: async (hash: string) => (hashes.has(hash) ? blobs.get(hash) : undefined),
  };
  const session = new SwarmSession(index, hashes, { signalUrl: SIGNAL_URL, store, stats });
  sessions.push(session);
  return { session, stats };
}

/** The worker's end of one `pc:fetch`: what it received, and what the agent transferred. */
function workerFetch(session: SwarmSession, asset: number, manifestVersion = index.version) {
  const { port1: agentEnd, port2: workerEnd } = new MessageChannel();
  const messages: AgentReplyMessage[] = [];
  const transferred: { message: unknown; transfer: Transferable[] }[] = [];
  let closed = false;

  const post = agentEnd.postMessage.bind(agentEnd);
  agentEnd.postMessage = ((message: unknown, transfer: Transferable[] = []) => {
    post(message, transfer);
    if ((message as { type?: string }).type !== 'pc:accepted')
      transferred.push({ message, transfer });
  }) as typeof agentEnd.postMessage;
  workerEnd.onmessage = (event) => messages.push(parseAgentReply(event.data));
  workerEnd.addEventListener('close', () => {
    closed = true;
  });
  void session.fetch({ type: 'pc:fetch', id: 1, asset, manifestVersion }, agentEnd);
  return {
    workerEnd,
    messages,
    transferred,
    closed: () => closed,
    chunks: () => messages.filter((m) => m.type === 'pc:chunk'),
    ends: () => messages.filter((m) => m.type !== 'pc:chunk'),
  };
}

function body(chunks: AgentReplyMessage[]): Buffer {
  return Buffer.concat(chunks.map((m) => new Uint8Array(m.type === 'pc:chunk' ? m.data : [])));
}

/** The two ends of the one peer connection (the leecher dialled, the seeder answered). */
function onlyConnection() {
  const [dialer, answerer] = network.connections;
  expect(network.connections).toHaveLength(2);
  return { toSeeder: dialer!.channels[0]!, toLeecher: answerer!.channels[0]! };
}

/** Whether a wire `cancel` went out on this channel (it carries control messages only). */
function sentCancel(channel: FakeRTCDataChannel): boolean {
  return channel.sent.some((m) => typeof m !== 'string' && decodeWireMessage(m).type === 'cancel');
}

/** Waits until nothing more arrives for a while. */
async function quiet(): Promise<void> {
  for (let i = 0; i < 200; i++) await tick();
}

describe('SwarmSession', () => {
  it('serves a worker request from a peer: verified chunks as transferred buffers, then closes', async () => {
    const seeder = makeSession([small, big]);
    makeSession();
    const leecher = makeSession();
    const request = workerFetch(leecher.session, big);
    await eventually(request.closed, 'the end of the reply');
    expect(request.ends()).toEqual([]);
    expect(request.chunks().map((m) => (m.type === 'pc:chunk' ? m.index : -1))).toEqual([
      ...Array(BIG_CHUNKS).keys(),
    ]);
    expect(body(request.chunks()).equals(Buffer.from(BIG))).toBe(true);
    // Each chunk went over as a transferred buffer, not a copy: the agent's copy is detached.
    const posted = request.transferred.map((t) => t.message as { type: string; data?: unknown });
    expect(posted).toHaveLength(BIG_CHUNKS);
    for (const [i, { message, transfer }] of request.transferred.entries()) {
      const data = (message as { data: ArrayBuffer }).data;
      expect(transfer).toEqual([data]);
      expect(data.byteLength, `chunk ${i}`).toBe(0);
    }
    expect(seeder.stats.bytesUploaded).toBe(BIG.length);
    expect(leecher.stats.peers).toBe(1);
  });

  it('drops a peer that sends bad chunks, takes them from another, and never asks it again', async () => {
    const liar = makeSession([big], { bigBytes: corrupted(BIG) });
    const honest = makeSession([big]);
    const leecher = makeSession();
    const first = workerFetch(leecher.session, big);
    await eventually(first.closed, 'the end of the reply');
    expect(first.ends()).toEqual([]);
    expect(body(first.chunks()).equals(Buffer.from(BIG))).toBe(true);
    expect(honest.stats.bytesUploaded).toBeGreaterThan(0);
    const fromLiar = liar.stats.bytesUploaded;
    const second = workerFetch(leecher.session, big);
    await eventually(second.closed, 'the end of the second reply');
    expect(body(second.chunks()).equals(Buffer.from(BIG))).toBe(true);
    expect(liar.stats.bytesUploaded).toBe(fromLiar);
  });

  it('pc:cancel from the worker cancels the download: no chunk follows, the peer stops', async () => {
    const seeder = makeSession([big]);
    const leecher = makeSession();
    const request = workerFetch(leecher.session, big);
    await eventually(() => request.chunks().length > 0, 'a first chunk');
    // Hold the chunks on the wire, so the seeder has plenty left to send when the cancel comes.
    const { toSeeder, toLeecher } = onlyConnection();
    toLeecher.stall();
    // Until the seeder is blocked on the send queue (above the high-water mark, or not yet
    // drained below the low one).
    await quiet();
    const uploaded = seeder.stats.bytesUploaded;
    request.workerEnd.postMessage({ type: 'pc:cancel' });
    await eventually(request.closed, 'the agent closing the reply port');
    await eventually(() => sentCancel(toSeeder), 'a cancel to the seeder');
    await quiet();
    toLeecher.resume();
    await quiet();
    const last = request.messages.at(-1);
    expect(last).toEqual({ type: 'pc:failed', code: 'cancelled' });
    expect(request.ends()).toEqual([last]);
    expect(request.chunks().length).toBeLessThan(BIG_CHUNKS);
    // The seeder stopped: each of its uploads sent only the chunk it was waiting to queue.
    expect(seeder.stats.bytesUploaded).toBeLessThanOrEqual(uploaded + PENDING_CHUNKS);
  });

  it('a worker port that closes without a word cancels the download', async () => {
    const seeder = makeSession([big]);
    const leecher = makeSession();
    const request = workerFetch(leecher.session, big);
    await eventually(() => request.chunks().length > 0, 'a first chunk');
    const { toSeeder, toLeecher } = onlyConnection();
    toLeecher.stall();
    // Until the seeder is blocked on the send queue (above the high-water mark, or not yet
    // drained below the low one).
    await quiet();
    const uploaded = seeder.stats.bytesUploaded;
    request.workerEnd.close();
    await eventually(() => sentCancel(toSeeder), 'a cancel to the seeder');
    await quiet();
    toLeecher.resume();
    await quiet();
    expect(seeder.stats.bytesUploaded).toBeLessThanOrEqual(uploaded + PENDING_CHUNKS);
  });

  it('ignores a malformed message on the reply port: it is not a cancel', async () => {
    const leecher = makeSession();
    makeSession([big]);
    const request = workerFetch(leecher.session, big);
    await eventually(() => request.chunks().length > 0, 'a first chunk');
    request.workerEnd.postMessage({ type: 'pc:cancelled' });
    request.workerEnd.postMessage('pc:cancel');
    request.workerEnd.postMessage(null);
    await eventually(request.closed, 'the end of the reply');
    expect(request.ends()).toEqual([]);
    expect(request.chunks()).toHaveLength(BIG_CHUNKS);
  });

  it('answers agent-unavailable for another manifest version or an unknown asset', async () => {
    const { session } = makeSession();
    for (const request of [
      workerFetch(session, small, 'cd'.repeat(32)),
      workerFetch(session, index.size),
    ]) {
      await eventually(request.closed, 'the reply');
      expect(request.messages).toEqual([{ type: 'pc:unavailable', code: 'agent-unavailable' }]);
    }
  });

  it('answers signaling-unavailable at once when signaling is down', async () => {
    hubAt(SIGNAL_URL).down = true;
    const { session } = makeSession();
    const request = workerFetch(session, small);
    await eventually(request.closed, 'the reply');
    expect(request.messages).toEqual([{ type: 'pc:unavailable', code: 'signaling-unavailable' }]);
  });

  it('answers no-peers when nobody holds the asset', async () => {
    makeSession([big]);
    const { session } = makeSession();
    const request = workerFetch(session, small);
    await eventually(request.closed, 'the reply');
    expect(request.messages).toEqual([{ type: 'pc:unavailable', code: 'no-peers' }]);
  });

  it('seeds what the worker stored, and what the store holds on a refresh', async () => {
    const { session } = makeSession();
    const hub = hubAt(SIGNAL_URL);
    await eventually(() => hub.clients.size === 1, 'the join');
    expect(hub.find(index.version, small, 'nobody')).toEqual([]);
    session.stored(small);
    expect(session.have.has(small)).toBe(true);
    expect(hub.find(index.version, small, 'nobody')).toHaveLength(1);
    session.stored(index.size);
    session.refreshHave(new Set([index.get(big)!.sha256]));
    expect(hub.find(index.version, big, 'nobody')).toHaveLength(1);
  });

  it('close() ends the downloads in flight, and the worker hears it', async () => {
    makeSession([big]);
    const leecher = makeSession();
    const request = workerFetch(leecher.session, big);
    await eventually(() => request.chunks().length > 0, 'a first chunk');
    onlyConnection().toLeecher.stall();
    leecher.session.close();
    await eventually(request.closed, 'the reply port closing');
    expect(request.ends()).toEqual([{ type: 'pc:failed', code: 'cancelled' }]);
  });
});
