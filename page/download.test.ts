import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CHUNK_SIZE, chunkCount, type ManifestAsset, PeerConnectError } from '../protocol/index.js';
import { assetOf, tick, within } from './common.test-helper.js';
import { AGENT_LIMITS } from './config.js';
import { AssetDownload } from './download.js';
import type { ChunkSink, Peer } from './peer.js';
import type { PeerPool } from './peer-pool.js';

/** A manifest entry over random bytes. */
async function makeAsset(size: number): Promise<{ asset: ManifestAsset; bytes: Uint8Array }> {
  const bytes = new Uint8Array(randomBytes(size));
  return { asset: assetOf('/movie.bin', bytes), bytes };
}

interface FakeRequest {
  id: number;
  sha256: string;
  first: number;
  count: number;
  sink: ChunkSink;
}

interface Behaviour {
  /** Chunk indexes this peer sends with one byte flipped. */
  corrupt?: number[];
  /** After sending this many chunks in all, the connection closes (peer-closed). */
  closeAfter?: number;
  /** Request numbers (1-based, in the order received) answered with this error instead. */
  refuse?: Map<number, PeerConnectError>;
  /** Sends this many chunks back to back, then closes in the same task: nothing is hashed yet. */
  burstThenClose?: number;
  /** Never answers. */
  silent?: boolean;
  /** The channel refuses to send: request() tears the peer down before it returns, as Peer does. */
  refuseToSend?: boolean;
}

/**
 * Stands in for Peer: serves each request from `bytes`, one chunk per macrotask, in order,
 * with onEnd() right after the last chunk. Closing ends outstanding requests the way Peer.teardown does: it walks its map
 * of requests, and a request cancelled from inside an onEnd callback is no longer in the map.
 */
class FakePeer {
  readonly requests: FakeRequest[] = [];
  readonly cancelled: number[] = [];
  /** Indexes of the chunks handed to a sink, in order. */
  readonly sent: number[] = [];
  closedWith: PeerConnectError | undefined;
  private readonly outstanding = new Map<number, FakeRequest>();
  private nextId = 1;

  constructor(
    readonly id: string,
    private readonly bytes: Uint8Array,
    private readonly behaviour: Behaviour = {},
  ) {}

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  get outstandingIds(): number[] {
    return [...this.outstanding.keys()];
  }

  request(sha256: string, first: number, count: number, sink: ChunkSink): number {
    const request = { id: this.nextId++, sha256, first, count, sink };
    this.requests.push(request);
    this.outstanding.set(request.id, request);
    if (this.behaviour.refuseToSend) {
      this.close(new PeerConnectError('peer-closed', 'send queue is full'));
      return request.id;
    }
    void this.serve(request, this.requests.length);
    return request.id;
  }

  cancel(id: number): void {
    this.cancelled.push(id);
    this.outstanding.delete(id);
  }

  close(error: PeerConnectError): void {
    if (this.closedWith) return;
    this.closedWith = error;
    for (const [id, request] of this.outstanding) {
      this.outstanding.delete(id);
      request.sink.onEnd(error);
    }
  }

  /** Every chunk index this peer was asked for, in request order. */
  askedFor(): number[] {
    return this.requests.flatMap((r) => Array.from({ length: r.count }, (_, i) => r.first + i));
  }

  private async serve(request: FakeRequest, ordinal: number): Promise<void> {
    await tick();
    if (this.behaviour.silent) return;
    const refusal = this.behaviour.refuse?.get(ordinal);
    if (refusal) {
      if (this.outstanding.delete(request.id)) request.sink.onEnd(refusal);
      return;
    }
    const burst = this.behaviour.burstThenClose;
    if (burst !== undefined) {
      for (let index = request.first; index < request.first + burst; index++) {
        this.sent.push(index);
        request.sink.onChunk(
          index,
          this.bytes.slice(index * CHUNK_SIZE, (index + 1) * CHUNK_SIZE).buffer,
        );
      }
      this.close(new PeerConnectError('peer-closed', 'channel closed'));
      return;
    }
    for (let index = request.first; index < request.first + request.count; index++) {
      if (!this.outstanding.has(request.id) || this.closed) return;
      if (
        this.behaviour.closeAfter !== undefined &&
        this.sent.length >= this.behaviour.closeAfter
      ) {
        this.close(new PeerConnectError('peer-closed', 'channel closed'));
        return;
      }
      const data = this.bytes.slice(index * CHUNK_SIZE, (index + 1) * CHUNK_SIZE);
      if (this.behaviour.corrupt?.includes(index)) data[data.length >> 1]! ^= 0xff;
      this.sent.push(index);
      request.sink.onChunk(index, data.buffer);
      // Like Peer.receiveBody: the last chunk and the end of the request come in one call.
      if (index === request.first + request.count - 1) {
        if (this.outstanding.delete(request.id)) request.sink.onEnd();
        return;
      }
      await tick();
    }
  }
}

/**
 * Exactly what AssetDownload uses of PeerPool. Like the real pool, `ban` closes the peer.
 * `holderPeers` are what signaling finds by default, and reachable; `reachable` ones only when
 * a test's own find names them.
 */
class FakePool {
  readonly bans: { id: string; error: PeerConnectError }[] = [];
  readonly dialed: string[] = [];

  constructor(
    private readonly holderPeers: FakePeer[],
    private readonly reachable: FakePeer[] = [],
    private readonly dialError = new PeerConnectError('peer-timeout', 'connect'),
  ) {}

  holderIds(): string[] {
    return this.holderPeers.filter((p) => !p.closed).map((p) => p.id);
  }

  async connect(id: string): Promise<Peer> {
    this.dialed.push(id);
    const peer = [...this.holderPeers, ...this.reachable].find((p) => p.id === id && !p.closed);
    if (!peer || this.isUseless(id)) throw this.dialError;
    return peer as unknown as Peer;
  }

  isUseless(id: string): boolean {
    return this.bans.some((ban) => ban.id === id);
  }

  ban(id: string, error: PeerConnectError): void {
    this.bans.push({ id, error });
    for (const peer of [...this.holderPeers, ...this.reachable])
      if (peer.id === id) peer.close(error);
  }
}

function collectingSink() {
  const indexes: number[] = [];
  const parts: Uint8Array[] = [];
  const ends: (PeerConnectError | undefined)[] = [];
  let resolveEnded!: (error: PeerConnectError | undefined) => void;
  const ended = new Promise<PeerConnectError | undefined>((resolve) => {
    resolveEnded = resolve;
  });
  const sink: ChunkSink = {
    onChunk: (index, data) => {
      indexes.push(index);
      parts.push(new Uint8Array(data));
    },
    onEnd: (error) => {
      ends.push(error);
      resolveEnded(error);
    },
  };
  const body = () => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  };
  return { sink, indexes, ends, ended, body };
}

function sameBytes(got: Uint8Array, want: Uint8Array): boolean {
  return got.length === want.length && Buffer.from(got).equals(Buffer.from(want));
}

function download(
  asset: ManifestAsset,
  pool: FakePool,
  findPeers: () => Promise<string[]> = async () => pool.holderIds(),
) {
  const out = collectingSink();
  const job = new AssetDownload({
    asset,
    pool: pool as unknown as PeerPool,
    findPeers,
    sink: out.sink,
  });
  return { job, out };
}

/** 40 full chunks and a short one: more than two requests' worth. */
const SIZE = 40 * CHUNK_SIZE + 777;
const TOTAL = chunkCount(SIZE);
const ALL = [...Array(TOTAL).keys()];

describe('AssetDownload', () => {
  it('takes every chunk from a single peer, verified and in order, then ends', async () => {
    const { asset, bytes } = await makeAsset(SIZE);
    const peer = new FakePeer('peer-one', bytes);
    const pool = new FakePool([peer]);
    const { job, out } = download(asset, pool);
    job.start();
    expect(await within(out.ended, 5000, 'the end')).toBeUndefined();
    expect(out.indexes).toEqual(ALL);
    expect(sameBytes(out.body(), bytes)).toBe(true);
    expect(out.ends).toEqual([undefined]);
    // Each chunk asked for once, in requests no larger than chunksPerRequest.
    expect(peer.askedFor()).toEqual(ALL);
    expect(peer.requests.every((r) => r.count <= AGENT_LIMITS.chunksPerRequest)).toBe(true);
    expect(peer.requests.every((r) => r.sha256 === asset.sha256)).toBe(true);
    expect(pool.bans).toEqual([]);
  });

  it('never has more than requestsInFlightPerPeer requests out to one peer', async () => {
    const { asset, bytes } = await makeAsset(SIZE);
    const peer = new FakePeer('peer-one', bytes, { silent: true });
    const { job, out } = download(asset, new FakePool([peer]));
    job.start();
    await tick();
    await tick();
    expect(peer.requests).toHaveLength(AGENT_LIMITS.requestsInFlightPerPeer);
    job.cancel();
    expect(out.ends.map((e) => e?.code)).toEqual(['cancelled']);
  });

  it('shares the work between two peers and still emits in order', async () => {
    const { asset, bytes } = await makeAsset(SIZE);
    const one = new FakePeer('peer-one', bytes);
    const two = new FakePeer('peer-two', bytes);
    const { job, out } = download(asset, new FakePool([one, two]));
    job.start();
    expect(await within(out.ended, 5000, 'the end')).toBeUndefined();
    expect(one.requests.length).toBeGreaterThan(0);
    expect(two.requests.length).toBeGreaterThan(0);
    expect(out.indexes).toEqual(ALL);
    expect(sameBytes(out.body(), bytes)).toBe(true);
    // Every chunk asked for exactly once across both.
    expect([...one.askedFor(), ...two.askedFor()].sort((a, b) => a - b)).toEqual(ALL);
  });

  it('bans a peer that sends a corrupted chunk and takes that chunk from another', async () => {
    const { asset, bytes } = await makeAsset(SIZE);
    const bad = new FakePeer('peer-bad', bytes, { corrupt: [5] });
    const good = new FakePeer('peer-good', bytes);
    const pool = new FakePool([bad, good]);
    const { job, out } = download(asset, pool);
    job.start();
    expect(await within(out.ended, 5000, 'the end')).toBeUndefined();
    expect(pool.bans).toHaveLength(1);
    expect(pool.bans[0]!.id).toBe('peer-bad');
    expect(pool.bans[0]!.error).toBeInstanceOf(PeerConnectError);
    expect(pool.bans[0]!.error.code).toBe('bad-hash');
    expect(good.askedFor()).toContain(5);
    expect(out.indexes).toEqual(ALL);
    expect(sameBytes(out.body(), bytes)).toBe(true);
  });

  it('re-fetches a corrupted last chunk even when the bad peer had nothing else in flight', async () => {
    // Three chunks fit one request: the first holder gets all of them, the second nothing, and
    // the bad chunk is found only after the request ended successfully.
    const size = 2 * CHUNK_SIZE + 10;
    const { asset, bytes } = await makeAsset(size);
    const bad = new FakePeer('peer-bad', bytes, { corrupt: [2] });
    const good = new FakePeer('peer-good', bytes);
    const pool = new FakePool([bad, good]);
    const { job, out } = download(asset, pool);
    job.start();
    expect(await within(out.ended, 2000, 'the end')).toBeUndefined();
    expect(pool.bans.map((b) => [b.id, b.error.code])).toEqual([['peer-bad', 'bad-hash']]);
    expect(good.askedFor()).toEqual([2]);
    expect(out.indexes).toEqual([0, 1, 2]);
    expect(sameBytes(out.body(), bytes)).toBe(true);
  });

  it('moves the rest of a failed peer’s work, every in-flight request of it, to another peer', async () => {
    const { asset, bytes } = await makeAsset(SIZE);
    // The first holder gets the first two requests (32 chunks) and dies after 5 chunks.
    const dying = new FakePeer('peer-dying', bytes, { closeAfter: 5 });
    const steady = new FakePeer('peer-steady', bytes);
    const { job, out } = download(asset, new FakePool([dying, steady]));
    job.start();
    expect(await within(out.ended, 3000, 'the end')).toBeUndefined();
    expect(dying.requests).toHaveLength(2);
    expect(dying.sent).toHaveLength(5);
    expect(out.indexes).toEqual(ALL);
    expect(sameBytes(out.body(), bytes)).toBe(true);
    // Everything the dying peer did not deliver, from both of its requests, was asked of the
    // steady one, each chunk once.
    expect(steady.askedFor().sort((a, b) => a - b)).toEqual(
      ALL.filter((i) => !dying.sent.includes(i)),
    );
  });

  it('moves the other in-flight request of a peer that answered busy to another peer', async () => {
    const { asset, bytes } = await makeAsset(SIZE);
    const busy = new FakePeer('peer-busy', bytes, {
      refuse: new Map([[1, new PeerConnectError('peer-busy')]]),
    });
    const steady = new FakePeer('peer-steady', bytes);
    const { job, out } = download(asset, new FakePool([busy, steady]));
    job.start();
    expect(await within(out.ended, 3000, 'the end')).toBeUndefined();
    expect(out.indexes).toEqual(ALL);
    expect(sameBytes(out.body(), bytes)).toBe(true);
  });

  it('copes with a peer whose request ends before request() returns', async () => {
    const { asset, bytes } = await makeAsset(SIZE);
    const broken = new FakePeer('peer-broken', bytes, { refuseToSend: true });
    const steady = new FakePeer('peer-steady', bytes);
    const { job, out } = download(asset, new FakePool([broken, steady]));
    expect(() => job.start()).not.toThrow();
    expect(await within(out.ended, 3000, 'the end')).toBeUndefined();
    // The broken peer was asked once, then left alone.
    expect(broken.requests).toHaveLength(1);
    expect(steady.askedFor()).toEqual(ALL);
    expect(sameBytes(out.body(), bytes)).toBe(true);
  });

  it('ends with the last peer error when every peer fails and no other is found', async () => {
    const { asset, bytes } = await makeAsset(SIZE);
    const dying = new FakePeer('peer-dying', bytes, { closeAfter: 3 });
    const { job, out } = download(asset, new FakePool([dying]));
    job.start();
    const error = await within(out.ended, 3000, 'the end');
    expect(error?.code).toBe('peer-closed');
    expect(out.ends).toHaveLength(1);
    // Whatever was emitted is a verified prefix; the worker takes the rest from the origin.
    expect(out.indexes).toEqual([...Array(out.indexes.length).keys()]);
    expect(sameBytes(out.body(), bytes.subarray(0, out.indexes.length * CHUNK_SIZE))).toBe(true);
    for (let i = 0; i < 10; i++) await tick();
    expect(out.ends).toHaveLength(1);
  });

  it('hands the worker the chunks that arrived before the last peer failed, once verified', async () => {
    const { asset, bytes } = await makeAsset(SIZE);
    const dying = new FakePeer('peer-dying', bytes, { burstThenClose: 3 });
    const { job, out } = download(asset, new FakePool([dying]));
    job.start();
    const error = await within(out.ended, 3000, 'the end');
    expect(error?.code).toBe('peer-closed');
    expect(out.indexes).toEqual([0, 1, 2]);
    expect(sameBytes(out.body(), bytes.subarray(0, 3 * CHUNK_SIZE))).toBe(true);
  });

  it('ends with no-peers quickly when nobody holds the asset', async () => {
    const { asset } = await makeAsset(SIZE);
    let finds = 0;
    const { job, out } = download(asset, new FakePool([]), async () => {
      finds++;
      return [];
    });
    job.start();
    const error = await within(out.ended, 500, 'the end');
    expect(error).toBeInstanceOf(PeerConnectError);
    expect(error?.code).toBe('no-peers');
    expect(finds).toBe(1);
    expect(out.indexes).toEqual([]);
  });

  it('dials peers found through signaling, skipping banned ones', async () => {
    const { asset, bytes } = await makeAsset(3 * CHUNK_SIZE);
    const found = new FakePeer('peer-found', bytes);
    const pool = new FakePool([], [found]);
    pool.bans.push({ id: 'peer-banned', error: new PeerConnectError('bad-hash') });
    const { job, out } = download(asset, pool, async () => ['peer-banned', 'peer-found']);
    job.start();
    expect(await within(out.ended, 2000, 'the end')).toBeUndefined();
    expect(pool.dialed).toEqual(['peer-found']);
    expect(out.indexes).toEqual([0, 1, 2]);
    expect(sameBytes(out.body(), bytes)).toBe(true);
  });

  it('ends with the dial error when no found peer can be reached', async () => {
    const { asset } = await makeAsset(CHUNK_SIZE);
    const pool = new FakePool([], [], new PeerConnectError('peer-timeout', 'connect'));
    const { job, out } = download(asset, pool, async () => ['peer-away']);
    job.start();
    expect((await within(out.ended, 1000, 'the end'))?.code).toBe('peer-timeout');
  });

  it('waits for a peer still connecting only peerDialWaitMs, then ends so the origin can serve', async () => {
    const { asset, bytes } = await makeAsset(3 * CHUNK_SIZE);
    const slow = new FakePeer('peer-slow', bytes);
    let open!: (peer: Peer) => void;
    const pool = new FakePool([]);
    pool.connect = (id: string) => {
      pool.dialed.push(id);
      return new Promise<Peer>((resolve) => {
        open = resolve;
      });
    };
    const { job, out } = download(asset, pool, async () => ['peer-slow']);
    const started = Date.now();
    job.start();
    const error = await within(out.ended, AGENT_LIMITS.peerDialWaitMs + 1000, 'the end');
    expect(Date.now() - started).toBeLessThan(AGENT_LIMITS.peerDialWaitMs + 500);
    expect(error?.code).toBe('peer-timeout');
    // The connection opening afterwards does not revive the finished download.
    open(slow as unknown as Peer);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(out.indexes).toEqual([]);
  });

  it('skips found peers the pool knows to be useless without dialling them', async () => {
    const { asset } = await makeAsset(CHUNK_SIZE);
    const pool = new FakePool([]);
    pool.ban('peer-bad', new PeerConnectError('bad-hash'));
    const { job, out } = download(asset, pool, async () => ['peer-bad']);
    job.start();
    expect((await within(out.ended, 1000, 'the end'))?.code).toBe('no-peers');
    expect(pool.dialed).toEqual([]);
  });

  it('ends at once for an empty asset without asking anyone', async () => {
    const { asset } = await makeAsset(0);
    let finds = 0;
    const peer = new FakePeer('peer-one', new Uint8Array(0));
    const { job, out } = download(asset, new FakePool([peer]), async () => {
      finds++;
      return [];
    });
    job.start();
    expect(out.ends).toEqual([undefined]);
    expect(peer.requests).toEqual([]);
    expect(finds).toBe(0);
  });

  it('cancel() ends with cancelled, cancels the peer requests and emits nothing more', async () => {
    const { asset, bytes } = await makeAsset(SIZE);
    const peer = new FakePeer('peer-one', bytes);
    const { job, out } = download(asset, new FakePool([peer]));
    job.start();
    // Cancel mid-request: the fake sends one chunk per tick, 16 per request.
    while (peer.sent.length < 3) await tick();
    const outstanding = peer.outstandingIds;
    expect(outstanding.length).toBeGreaterThan(0);
    job.cancel();
    expect(out.ends.map((e) => e?.code)).toEqual(['cancelled']);
    expect(peer.cancelled.sort()).toEqual(outstanding.sort());
    const emitted = out.indexes.length;
    for (let i = 0; i < 20; i++) await tick();
    expect(out.indexes.length).toBe(emitted);
    job.cancel();
    expect(out.ends).toHaveLength(1);
  });
});
