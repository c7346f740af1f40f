import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  decodeWireMessage,
  encodeWireMessage,
  PeerConnectError,
  WIRE_VERSION,
  type WireMessage,
} from '../protocol/index.js';
import { tick as settle } from './common.test-helper.js';
import { AGENT_LIMITS } from './config.js';
import { type ChunkSink, Peer, type UploadHandler, type UploadRequest } from './peer.js';
import type { PeerConnection } from './peer-connection.js';

/** A well-formed sha-256 (hex) standing for asset `n`. */
function sha(n: number): string {
  return n.toString(16).padStart(2, '0').repeat(32);
}

/**
 * Stands in for PeerConnection with only what Peer uses. Messages are delivered to the other
 * end in a microtask, in order, as a copy (like an ordered data channel); closing one end closes
 * the other a microtask later.
 */
class FakeConnection {
  remote!: FakeConnection;
  needsDrain = false;
  drainedCalls = 0;
  closedWith: PeerConnectError | undefined;
  /** Every message this end received, decoded when it is a control message. */
  readonly received: ArrayBuffer[] = [];
  private readonly messageListeners = new Set<(data: ArrayBuffer) => void>();
  private readonly closeListeners = new Set<(error: PeerConnectError) => void>();

  constructor(readonly remoteId: string) {}

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  onMessage(listener: (data: ArrayBuffer) => void): void {
    this.messageListeners.add(listener);
  }

  onClose(listener: (error: PeerConnectError) => void): void {
    if (this.closedWith) listener(this.closedWith);
    else this.closeListeners.add(listener);
  }

  send(data: ArrayBuffer): void {
    if (this.closedWith) throw this.closedWith;
    const copy = data.slice(0);
    const remote = this.remote;
    queueMicrotask(() => remote.deliver(copy));
  }

  /** Sends a control message from this (raw, Peer-less) end. */
  sendWire(message: WireMessage): void {
    this.send(encodeWireMessage(message));
  }

  drained(): Promise<void> {
    this.drainedCalls++;
    return this.closedWith ? Promise.reject(this.closedWith) : Promise.resolve();
  }

  destroy(error = new PeerConnectError('peer-closed', 'closed locally')): void {
    if (this.closedWith) return;
    this.closedWith = error;
    this.messageListeners.clear();
    for (const listener of this.closeListeners) listener(error);
    this.closeListeners.clear();
    const remote = this.remote;
    queueMicrotask(() => remote.destroy(new PeerConnectError('peer-closed', 'remote closed')));
  }

  /** Control messages this end received (bodies are skipped by length). */
  controlMessages(): WireMessage[] {
    const out: WireMessage[] = [];
    let skipNext = false;
    for (const data of this.received) {
      if (skipNext) {
        skipNext = false;
        continue;
      }
      const message = decodeWireMessage(data);
      out.push(message);
      if (message.type === 'chunk') skipNext = true;
    }
    return out;
  }

  private deliver(data: ArrayBuffer): void {
    if (this.closedWith) return;
    this.received.push(data);
    for (const listener of this.messageListeners) listener(data);
  }
}

function connectionPair(): [FakeConnection, FakeConnection] {
  const a = new FakeConnection('peer-b-000000000');
  const b = new FakeConnection('peer-a-000000000');
  a.remote = b;
  b.remote = a;
  return [a, b];
}

function makePeer(connection: FakeConnection, options: { onUpload?: UploadHandler } = {}): Peer {
  return new Peer({
    connection: connection as unknown as PeerConnection,
    onUpload: options.onUpload ?? (() => {}),
  });
}

/** A sink that records what it gets; `ended` resolves on the first onEnd. */
function recordingSink() {
  const chunks: { index: number; bytes: number[] }[] = [];
  const ends: (PeerConnectError | undefined)[] = [];
  let resolveEnded!: (error: PeerConnectError | undefined) => void;
  const ended = new Promise<PeerConnectError | undefined>((resolve) => {
    resolveEnded = resolve;
  });
  const sink: ChunkSink = {
    onChunk: (index, data) => chunks.push({ index, bytes: [...new Uint8Array(data)] }),
    onEnd: (error) => {
      ends.push(error);
      resolveEnded(error);
    },
  };
  return { sink, chunks, ends, ended };
}

function helloFrom(): WireMessage {
  return { type: 'hello', version: WIRE_VERSION };
}

function chunkBytes(index: number, length = 8): ArrayBuffer {
  return Uint8Array.from({ length }, (_, i) => (index * 16 + i) & 0xff).buffer;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Peer between two Peers', () => {
  it('exchanges hello, then serves a request chunk by chunk, in order', async () => {
    const [a, b] = connectionPair();
    const uploads: UploadRequest[] = [];
    const downloader = makePeer(a);
    const uploader = makePeer(b, {
      onUpload: (peer, request) => {
        uploads.push({ ...request });
        void (async () => {
          for (let i = request.first; i < request.first + request.count; i++) {
            await peer.sendChunk(request.id, i, chunkBytes(i, 5 + i));
          }
          peer.endUpload(request.id);
        })();
      },
    });
    const { sink, chunks, ends, ended } = recordingSink();
    const id = downloader.request(sha(3), 2, 3, sink);
    expect(downloader.requestsInFlight).toBe(1);
    expect(await ended).toBeUndefined();
    expect(uploads).toEqual([{ type: 'request', id, sha256: sha(3), first: 2, count: 3 }]);
    expect(chunks).toEqual(
      [2, 3, 4].map((i) => ({ index: i, bytes: [...new Uint8Array(chunkBytes(i, 5 + i))] })),
    );
    expect(ends).toEqual([undefined]);
    expect(downloader.requestsInFlight).toBe(0);
    expect(uploader.uploadsInFlight).toBe(0);
    expect(a.closed || b.closed).toBe(false);
  });

  it('waits for the channel to drain before sending a chunk when its queue is full', async () => {
    const [a, b] = connectionPair();
    const uploader = makePeer(b);
    makePeer(a);
    b.needsDrain = true;
    await uploader.sendChunk(1, 0, chunkBytes(0));
    expect(b.drainedCalls).toBe(1);
    b.needsDrain = false;
    await uploader.sendChunk(1, 1, chunkBytes(1));
    expect(b.drainedCalls).toBe(1);
  });
});

describe('Peer against a scripted remote', () => {
  it('ends the request with the chunks of a well-behaved raw remote', async () => {
    const [a, raw] = connectionPair();
    const peer = makePeer(a);
    const { sink, chunks, ended } = recordingSink();
    const id = peer.request(sha(0), 4, 2, sink);
    raw.sendWire(helloFrom());
    for (const index of [4, 5]) {
      raw.sendWire({ type: 'chunk', id, index, length: 8 });
      raw.send(chunkBytes(index));
    }
    expect(await ended).toBeUndefined();
    expect(chunks.map((c) => c.index)).toEqual([4, 5]);
    // The raw end saw our hello and the request, naming the content by its full hash.
    await settle();
    const seen = raw.controlMessages();
    expect(seen).toEqual([
      helloFrom(),
      { type: 'request', id, sha256: sha(0), first: 4, count: 2 },
    ]);
  });

  it('destroys the connection on a chunk before hello', async () => {
    const [a, raw] = connectionPair();
    const peer = makePeer(a);
    const { sink, chunks, ended } = recordingSink();
    const id = peer.request(sha(0), 0, 1, sink);
    raw.sendWire({ type: 'chunk', id, index: 0, length: 8 });
    raw.send(chunkBytes(0));
    const error = await ended;
    expect(error?.code).toBe('bad-wire-message');
    expect(a.closedWith?.code).toBe('bad-wire-message');
    expect(peer.closed).toBe(true);
    expect(chunks).toEqual([]);
  });

  it('destroys the connection on a hello with another protocol version', async () => {
    const [a, raw] = connectionPair();
    makePeer(a);
    raw.sendWire({ type: 'hello', version: WIRE_VERSION + 1 });
    await settle();
    expect(a.closedWith?.code).toBe('bad-wire-message');
  });

  it('keeps the connection on a matching hello', async () => {
    const [a, raw] = connectionPair();
    makePeer(a);
    raw.sendWire(helloFrom());
    await settle();
    expect(a.closed).toBe(false);
  });

  it('destroys the connection when a body has another length than its header', async () => {
    const [a, raw] = connectionPair();
    const peer = makePeer(a);
    const { sink, chunks, ended } = recordingSink();
    const id = peer.request(sha(0), 0, 2, sink);
    raw.sendWire(helloFrom());
    raw.sendWire({ type: 'chunk', id, index: 0, length: 8 });
    raw.send(chunkBytes(0, 7));
    expect((await ended)?.code).toBe('bad-wire-message');
    expect(a.closedWith?.code).toBe('bad-wire-message');
    expect(chunks).toEqual([]);
  });

  it('destroys the connection on a chunk out of order', async () => {
    const [a, raw] = connectionPair();
    const peer = makePeer(a);
    const { sink, ended } = recordingSink();
    const id = peer.request(sha(0), 0, 2, sink);
    raw.sendWire(helloFrom());
    raw.sendWire({ type: 'chunk', id, index: 1, length: 8 });
    raw.send(chunkBytes(1));
    expect((await ended)?.code).toBe('bad-wire-message');
  });

  it('drops the body of a chunk for a request it cancelled and sends cancel', async () => {
    const [a, raw] = connectionPair();
    const peer = makePeer(a);
    const { sink, chunks, ends } = recordingSink();
    const id = peer.request(sha(0), 0, 2, sink);
    peer.cancel(id);
    expect(peer.requestsInFlight).toBe(0);
    raw.sendWire(helloFrom());
    raw.sendWire({ type: 'chunk', id, index: 0, length: 8 });
    raw.send(chunkBytes(0));
    await settle();
    expect(a.closed).toBe(false);
    expect(chunks).toEqual([]);
    expect(ends).toEqual([]);
    expect(raw.controlMessages()).toContainEqual({ type: 'cancel', id });
  });

  it('ends a stalled request with peer-timeout after peerStallMs and cancels it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const [a, raw] = connectionPair();
    const peer = makePeer(a);
    const { sink, ends, chunks } = recordingSink();
    const id = peer.request(sha(0), 0, 3, sink);
    raw.sendWire(helloFrom());
    await settle();
    vi.advanceTimersByTime(AGENT_LIMITS.peerStallMs - 10);
    // One chunk arrives: the stall clock starts again from here.
    raw.sendWire({ type: 'chunk', id, index: 0, length: 8 });
    raw.send(chunkBytes(0));
    await settle();
    expect(chunks.map((c) => c.index)).toEqual([0]);
    vi.advanceTimersByTime(AGENT_LIMITS.peerStallMs - 1);
    expect(ends).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ends.map((e) => e?.code)).toEqual(['peer-timeout']);
    expect(peer.requestsInFlight).toBe(0);
    await settle();
    expect(raw.controlMessages()).toContainEqual({ type: 'cancel', id });
    // A stall ends the request, not the connection.
    expect(a.closed).toBe(false);
    vi.advanceTimersByTime(AGENT_LIMITS.peerStallMs * 3);
    expect(ends).toHaveLength(1);
  });

  it('does not time out a request queued behind others while the peer keeps sending', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const [a, raw] = connectionPair();
    const peer = makePeer(a);
    const first = recordingSink();
    const queued = recordingSink();
    const firstId = peer.request(sha(0), 0, 3, first.sink);
    peer.request(sha(1), 0, 1, queued.sink);
    raw.sendWire(helloFrom());
    await settle();
    // The uploader serves the first request slowly; the second waits its turn at the uploader.
    for (let index = 0; index < 3; index++) {
      vi.advanceTimersByTime(AGENT_LIMITS.peerStallMs - 10);
      raw.sendWire({ type: 'chunk', id: firstId, index, length: 8 });
      raw.send(chunkBytes(index));
      await settle();
    }
    expect(first.ends).toEqual([undefined]);
    expect(queued.ends).toEqual([]);
    // Then the peer goes quiet: the queued request times out.
    vi.advanceTimersByTime(AGENT_LIMITS.peerStallMs);
    expect(queued.ends.map((e) => e?.code)).toEqual(['peer-timeout']);
  });

  it('ends a request with peer-busy or peer-error on those replies', async () => {
    const [a, raw] = connectionPair();
    const peer = makePeer(a);
    const busy = recordingSink();
    const failed = recordingSink();
    const untouched = recordingSink();
    const busyId = peer.request(sha(0), 0, 1, busy.sink);
    const failedId = peer.request(sha(1), 0, 1, failed.sink);
    peer.request(sha(2), 0, 1, untouched.sink);
    raw.sendWire(helloFrom());
    raw.sendWire({ type: 'busy', id: busyId });
    raw.sendWire({ type: 'error', id: failedId, code: 'not-found' });
    expect((await busy.ended)?.code).toBe('peer-busy');
    const error = await failed.ended;
    expect(error?.code).toBe('peer-error');
    expect(error?.details).toBe('not-found');
    await settle();
    expect(untouched.ends).toEqual([]);
    expect(peer.requestsInFlight).toBe(1);
    expect(a.closed).toBe(false);
  });

  it('hands a remote request to the upload handler and aborts it on cancel', async () => {
    const [a, raw] = connectionPair();
    const signals: AbortSignal[] = [];
    const peer = makePeer(a, { onUpload: (_peer, _request, signal) => signals.push(signal) });
    raw.sendWire(helloFrom());
    raw.sendWire({ type: 'request', id: 7, sha256: sha(1), first: 0, count: 2 });
    await settle();
    expect(signals).toHaveLength(1);
    expect(peer.uploadsInFlight).toBe(1);
    raw.sendWire({ type: 'cancel', id: 7 });
    await settle();
    expect(signals[0]!.aborted).toBe(true);
    // In flight until the uploader stops and ends it.
    expect(peer.uploadsInFlight).toBe(1);
    peer.endUpload(7);
    expect(peer.uploadsInFlight).toBe(0);
  });

  it('destroys the connection when a cancelled id is reused before its upload ended', async () => {
    const [a, raw] = connectionPair();
    makePeer(a);
    raw.sendWire(helloFrom());
    raw.sendWire({ type: 'request', id: 7, sha256: sha(1), first: 0, count: 2 });
    raw.sendWire({ type: 'cancel', id: 7 });
    raw.sendWire({ type: 'request', id: 7, sha256: sha(1), first: 0, count: 2 });
    await settle();
    expect(a.closedWith?.code).toBe('bad-wire-message');
  });

  it('destroys the connection when a request id is reused while in flight', async () => {
    const [a, raw] = connectionPair();
    makePeer(a);
    raw.sendWire(helloFrom());
    raw.sendWire({ type: 'request', id: 7, sha256: sha(1), first: 0, count: 2 });
    raw.sendWire({ type: 'request', id: 7, sha256: sha(1), first: 0, count: 2 });
    await settle();
    expect(a.closedWith?.code).toBe('bad-wire-message');
  });

  it('sends busy and error replies from endUpload', async () => {
    const [a, raw] = connectionPair();
    const peer = makePeer(a, {
      onUpload: (p, request) =>
        request.id === 1
          ? p.endUpload(request.id, 'busy')
          : p.endUpload(request.id, { type: 'error', id: request.id, code: 'budget' }),
    });
    raw.sendWire(helloFrom());
    raw.sendWire({ type: 'request', id: 1, sha256: sha(1), first: 0, count: 1 });
    raw.sendWire({ type: 'request', id: 2, sha256: sha(1), first: 0, count: 1 });
    await settle();
    expect(raw.controlMessages().slice(1)).toEqual([
      { type: 'busy', id: 1 },
      { type: 'error', id: 2, code: 'budget' },
    ]);
    expect(peer.uploadsInFlight).toBe(0);
  });

  it('destroy ends every outgoing request exactly once and aborts every upload', async () => {
    const [a, raw] = connectionPair();
    const signals: AbortSignal[] = [];
    const peer = makePeer(a, { onUpload: (_peer, _request, signal) => signals.push(signal) });
    const sinks = [recordingSink(), recordingSink(), recordingSink()];
    for (const [i, s] of sinks.entries()) peer.request(sha(i), 0, 2, s.sink);
    raw.sendWire(helloFrom());
    raw.sendWire({ type: 'request', id: 1, sha256: sha(0), first: 0, count: 1 });
    raw.sendWire({ type: 'request', id: 2, sha256: sha(0), first: 0, count: 1 });
    await settle();
    expect(signals).toHaveLength(2);
    const error = new PeerConnectError('peer-closed', 'test');
    peer.destroy(error);
    peer.destroy(new PeerConnectError('peer-timeout'));
    a.destroy();
    for (const s of sinks) expect(s.ends).toEqual([error]);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
    expect(peer.requestsInFlight).toBe(0);
    expect(peer.uploadsInFlight).toBe(0);
    expect(peer.closed).toBe(true);
    // The remote end learns of it too; nothing arriving later reaches the sinks.
    await settle();
    expect(raw.closed).toBe(true);
    for (const s of sinks) expect(s.ends).toHaveLength(1);
  });

  it('a remote close ends the outgoing requests with the close error', async () => {
    const [a, raw] = connectionPair();
    const peer = makePeer(a);
    const { sink, ended } = recordingSink();
    peer.request(sha(0), 0, 1, sink);
    raw.destroy();
    const error = await ended;
    expect(error?.code).toBe('peer-closed');
    expect(peer.closed).toBe(true);
  });

  it('ends a request at once when the channel refuses to send it', () => {
    const [a] = connectionPair();
    const peer = makePeer(a);
    const refusal = new PeerConnectError('peer-closed', 'send queue is full');
    a.send = () => {
      throw refusal;
    };
    const { sink, ends } = recordingSink();
    peer.request(sha(0), 0, 1, sink);
    // Synchronously, from inside request(): callers must not assume request() returns first.
    expect(ends).toEqual([refusal]);
    expect(a.closedWith).toBe(refusal);
  });
});
