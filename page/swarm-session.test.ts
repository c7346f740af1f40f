import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type AgentReplyMessage,
  CHUNK_SIZE,
  chunkCount,
  contentIdOf,
  decodeWireMessage,
  type ManifestAsset,
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
import { type UploadPolicy, uploadPolicyOf } from './upload-policy.js';

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

const small = assetOf('/small.css', SMALL, 'text/css');
const big = assetOf('/big.bin', BIG);

let network: FakeRtcNetwork;
const sessions: SwarmSession[] = [];

beforeEach(() => {
  network = installFakeRtc();
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

/** A leader's session whose store holds `held`; it announces them as the agent does on pc:ready. */
function makeSession(
  held: ManifestAsset[] = [],
  options: { bigBytes?: Uint8Array; policy?: Partial<UploadPolicy> } = {},
) {
  const blobs = new Map<string, Blob>([
    [small.sha256, new Blob([SMALL])],
    [big.sha256, new Blob([(options.bigBytes ?? BIG) as Uint8Array<ArrayBuffer>])],
  ]);
  const hashes = new Set(held.map((asset) => asset.sha256));
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
    hashes: async () => new Set(hashes),
  };
  const session = new SwarmSession({
    signalUrl: SIGNAL_URL,
    store,
    stats,
    policy: { ...uploadPolicyOf(undefined), ...options.policy },
  });
  sessions.push(session);
  void session.refresh();
  return { session, stats, hashes };
}

/** Who the hub would name as holding `asset`'s content, to a peer outside the swarm. */
function holders(asset: ManifestAsset): string[] {
  return hubAt(SIGNAL_URL).find(contentIdOf(asset.sha256), 'nobody');
}

/** The worker's end of one `pc:fetch`: what it received, and what the agent transferred. */
function workerFetch(session: SwarmSession, asset: ManifestAsset) {
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
  void session.fetch({ type: 'pc:fetch', id: 1, asset }, agentEnd);
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

  it('serves content whatever path or release named it; never other bytes for a path', async () => {
    makeSession([big]);
    const leecher = makeSession();
    // A later release moved the file: same bytes, new path. Peers find it by content.
    const moved = workerFetch(leecher.session, { ...big, path: '/v2/big.bin' });
    await eventually(moved.closed, 'the reply');
    expect(moved.ends()).toEqual([]);
    expect(body(moved.chunks()).equals(Buffer.from(BIG))).toBe(true);
    // And a release that changed the file: the old bytes' holder is never asked for the new ones.
    const changed = assetOf('/big.bin', corrupted(BIG));
    const request = workerFetch(leecher.session, changed);
    await eventually(request.closed, 'the reply');
    expect(request.messages).toEqual([{ type: 'pc:unavailable', code: 'no-peers' }]);
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

  it('seeds what the store holds, what the worker stored, and what a refresh finds', async () => {
    const { session, hashes } = makeSession([small]);
    // Any one other peer makes the default quorum.
    makeSession();
    await eventually(() => holders(small).length === 1, 'the announce of what is held');
    expect(holders(big)).toEqual([]);
    session.stored(big.sha256);
    expect(holders(big)).toHaveLength(1);
    const other = assetOf('/other.bin', new Uint8Array([9, 9, 9]));
    hashes.add(other.sha256);
    await session.refresh();
    expect(holders(other)).toHaveLength(1);
  });

  it('discloses nothing until the swarm has its quorum', async () => {
    const hub = hubAt(SIGNAL_URL);
    hub.minSwarm = 2;
    makeSession([big]);
    const second = makeSession();
    await eventually(() => hub.clients.size === 2, 'two joins');
    await quiet();
    expect(holders(big)).toEqual([]);
    const request = workerFetch(second.session, big);
    await eventually(request.closed, 'the reply');
    expect(request.messages).toEqual([{ type: 'pc:unavailable', code: 'no-peers' }]);
    makeSession();
    await eventually(() => holders(big).length === 1, 'the announce at quorum');
  });

  it('withdraws what it announced once its upload budget is spent', async () => {
    const seeder = makeSession([big], { policy: { budgetBytes: 4 * CHUNK_SIZE } });
    const leecher = makeSession();
    await eventually(() => holders(big).length === 1, 'the announce');
    const request = workerFetch(leecher.session, big);
    await eventually(request.closed, 'the reply');
    // The worker takes the rest from the origin: the agent ends with the verified prefix.
    expect(request.ends()).toEqual([{ type: 'pc:failed', code: 'peer-error' }]);
    // Four chunks went out over two requests in flight; the worker got their contiguous prefix.
    expect(seeder.stats.bytesUploaded).toBe(4 * CHUNK_SIZE);
    expect(request.chunks().length).toBeGreaterThan(0);
    expect(request.chunks().length).toBeLessThanOrEqual(4);
    expect(holders(big)).toEqual([]);
  });

  it('withdraws content the store no longer holds when a peer asks for it', async () => {
    const seeder = makeSession([small, big]);
    const leecher = makeSession();
    await eventually(() => holders(small).length === 1, 'the announce');
    seeder.hashes.delete(small.sha256);
    const request = workerFetch(leecher.session, small);
    await eventually(request.closed, 'the reply');
    expect(request.ends()).toEqual([{ type: 'pc:unavailable', code: 'peer-error' }]);
    expect(holders(small)).toEqual([]);
    expect(holders(big)).toHaveLength(1);
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
