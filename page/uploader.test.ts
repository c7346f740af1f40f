import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CHUNK_SIZE, MIB, verifyChunk, type WireMessage } from '../protocol/index.js';
import { assetOf, tick } from './common.test-helper.js';
import { AGENT_LIMITS } from './config.js';
import type { Peer, UploadRequest } from './peer.js';
import { type UploadPolicy, uploadPolicyOf } from './upload-policy.js';
import { type BlobSource, createUploader, type UploadStats } from './uploader.js';

const BYTES = new Uint8Array(randomBytes(3 * CHUNK_SIZE + 100));
const SMALL = new Uint8Array(randomBytes(500));
/** 24 chunks: past the 16-chunk burst of a rate cap. */
const LARGE = new Uint8Array(randomBytes(24 * CHUNK_SIZE));
const ASSETS = {
  big: assetOf('/big.bin', BYTES),
  small: assetOf('/small.bin', SMALL),
  large: assetOf('/large.bin', LARGE),
};

async function setup(
  options: { store?: BlobSource; stats?: UploadStats; policy?: Partial<UploadPolicy> } = {},
) {
  const blobs = new Map([
    [ASSETS.big.sha256, new Blob([BYTES])],
    [ASSETS.small.sha256, new Blob([SMALL])],
    [ASSETS.large.sha256, new Blob([LARGE])],
  ]);
  const reads: string[] = [];
  const missing: string[] = [];
  const store: BlobSource = options.store ?? {
    getBlob: async (hash) => {
      reads.push(hash);
      return blobs.get(hash);
    },
  };
  const stats = options.stats ?? { bytesUploaded: 0 };
  const policy = { ...uploadPolicyOf(undefined), ...options.policy };
  const upload = createUploader({
    store,
    stats,
    policy,
    onMissing: (sha256) => missing.push(sha256),
  });
  const { big, small, large } = ASSETS;
  return {
    upload,
    big: big.sha256,
    small: small.sha256,
    large: large.sha256,
    stats,
    reads,
    missing,
  };
}

/** A store whose reads wait until `release()`: uploads pile up behind them. */
function heldStore(): { store: BlobSource; release: () => void; readonly reads: number } {
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const blob = new Blob([BYTES]);
  const state = {
    reads: 0,
    release: () => release(),
    store: {
      getBlob: async () => {
        state.reads++;
        await held;
        return blob;
      },
    },
  };
  return state;
}

/** Stands in for Peer with what an upload handler uses: sendChunk, endUpload and closed. */
class FakePeer {
  closed = false;
  readonly chunks: { id: number; index: number; data: ArrayBuffer }[] = [];
  readonly ends: { id: number; reply: 'busy' | WireMessage | undefined }[] = [];
  /** When set, each sendChunk waits for this before resolving. */
  gate: Promise<void> | undefined;
  private resolveEnd: (() => void) | undefined;
  readonly ended = new Promise<void>((resolve) => {
    this.resolveEnd = resolve;
  });

  async sendChunk(id: number, index: number, data: ArrayBuffer): Promise<void> {
    this.chunks.push({ id, index, data });
    if (this.gate) await this.gate;
  }

  endUpload(id: number, reply?: 'busy' | WireMessage): void {
    this.ends.push({ id, reply });
    this.resolveEnd?.();
  }

  get asPeer(): Peer {
    return this as unknown as Peer;
  }
}

function request(id: number, sha256: string, first: number, count: number): UploadRequest {
  return { id, sha256, first, count };
}

describe('createUploader', () => {
  it('serves the requested range as chunk-sized messages that verify', async () => {
    const { upload, big, stats, reads } = await setup();
    const peer = new FakePeer();
    upload(peer.asPeer, request(9, big, 1, 3), new AbortController().signal);
    await peer.ended;
    expect(peer.ends).toEqual([{ id: 9, reply: undefined }]);
    expect(peer.chunks.map((c) => [c.id, c.index, c.data.byteLength])).toEqual([
      [9, 1, CHUNK_SIZE],
      [9, 2, CHUNK_SIZE],
      [9, 3, 100],
    ]);
    const asset = ASSETS.big;
    for (const chunk of peer.chunks) {
      expect(await verifyChunk(asset, chunk.index, chunk.data)).toBe(true);
      const want = BYTES.slice(chunk.index * CHUNK_SIZE, (chunk.index + 1) * CHUNK_SIZE);
      expect(Buffer.from(chunk.data).equals(Buffer.from(want))).toBe(true);
    }
    expect(stats.bytesUploaded).toBe(2 * CHUNK_SIZE + 100);
    expect(reads).toEqual([asset.sha256]);
  });

  it('serves a one-chunk asset and a single middle chunk', async () => {
    const { upload, big, small, stats } = await setup();
    const one = new FakePeer();
    upload(one.asPeer, request(1, small, 0, 1), new AbortController().signal);
    await one.ended;
    expect(one.chunks).toHaveLength(1);
    expect(Buffer.from(one.chunks[0]!.data).equals(Buffer.from(SMALL))).toBe(true);
    const two = new FakePeer();
    upload(two.asPeer, request(2, big, 2, 1), new AbortController().signal);
    await two.ended;
    expect(two.chunks.map((c) => c.index)).toEqual([2]);
    expect(stats.bytesUploaded).toBe(SMALL.length + CHUNK_SIZE);
  });

  it('answers not-found when the store lacks the content, and reports it missing', async () => {
    const { upload, small, missing } = await setup({ store: { getBlob: async () => undefined } });
    const peer = new FakePeer();
    upload(peer.asPeer, request(3, small, 0, 1), new AbortController().signal);
    await peer.ended;
    expect(peer.ends).toEqual([{ id: 3, reply: { type: 'error', id: 3, code: 'not-found' } }]);
    expect(peer.chunks).toEqual([]);
    expect(missing).toEqual([small]);
  });

  it('answers internal when the store fails', async () => {
    const { upload, big } = await setup({
      store: {
        getBlob: async () => {
          throw new Error('disk on fire');
        },
      },
    });
    const peer = new FakePeer();
    upload(peer.asPeer, request(5, big, 0, 2), new AbortController().signal);
    await peer.ended;
    expect(peer.ends).toEqual([{ id: 5, reply: { type: 'error', id: 5, code: 'internal' } }]);
  });

  it('answers bad-request for a range past the end of what the store holds', async () => {
    const { upload, big, small } = await setup();
    const cases: [string, number, number][] = [
      [big, 0, 5],
      [big, 3, 2],
      [big, 4, 1],
      [small, 1, 1],
    ];
    for (const [i, [sha256, first, count]] of cases.entries()) {
      const peer = new FakePeer();
      upload(peer.asPeer, request(i, sha256, first, count), new AbortController().signal);
      await peer.ended;
      expect(peer.ends).toEqual([{ id: i, reply: { type: 'error', id: i, code: 'bad-request' } }]);
      expect(peer.chunks).toEqual([]);
    }
    // The last whole range is fine.
    const ok = new FakePeer();
    upload(ok.asPeer, request(99, big, 0, 4), new AbortController().signal);
    await ok.ended;
    expect(ok.ends).toEqual([{ id: 99, reply: undefined }]);
  });

  it('queues past maxConcurrentUploads, answers busy past the queue, and serves the queue in order', async () => {
    const held = heldStore();
    const { upload, big } = await setup({ store: held.store });
    const reading = () => held.reads;
    const release = held.release;
    const total = AGENT_LIMITS.maxConcurrentUploads + AGENT_LIMITS.maxQueuedUploads;
    const peers = Array.from({ length: total }, () => new FakePeer());
    for (const [i, peer] of peers.entries()) {
      upload(peer.asPeer, request(i, big, 0, 1), new AbortController().signal);
    }
    for (const peer of peers) expect(peer.ends).toEqual([]);
    await Promise.resolve();
    expect(reading()).toBe(AGENT_LIMITS.maxConcurrentUploads);
    const refused = new FakePeer();
    upload(refused.asPeer, request(total, big, 0, 1), new AbortController().signal);
    expect(refused.ends).toEqual([{ id: total, reply: 'busy' }]);
    release();
    await Promise.all(peers.map((p) => p.ended));
    for (const [i, peer] of peers.entries())
      expect(peer.ends).toEqual([{ id: i, reply: undefined }]);
    expect(reading()).toBe(total);
  });

  it('gives each peer a share of the slots and of the queue', async () => {
    const held = heldStore();
    const { upload, big } = await setup({ store: held.store });
    const reading = () => held.reads;
    const release = held.release;
    const greedy = new FakePeer();
    const own = AGENT_LIMITS.maxConcurrentUploadsPerPeer + AGENT_LIMITS.maxQueuedUploadsPerPeer;
    for (let id = 0; id < own; id++) {
      upload(greedy.asPeer, request(id, big, 0, 1), new AbortController().signal);
    }
    await Promise.resolve();
    expect(reading()).toBe(AGENT_LIMITS.maxConcurrentUploadsPerPeer);
    expect(greedy.ends).toEqual([]);
    // Past its share of the queue the greedy peer hears busy; another peer still gets a slot.
    upload(greedy.asPeer, request(own, big, 0, 1), new AbortController().signal);
    expect(greedy.ends).toEqual([{ id: own, reply: 'busy' }]);
    const polite = new FakePeer();
    upload(polite.asPeer, request(1000, big, 0, 1), new AbortController().signal);
    await Promise.resolve();
    expect(reading()).toBe(AGENT_LIMITS.maxConcurrentUploadsPerPeer + 1);
    release();
    await polite.ended;
    expect(polite.ends).toEqual([{ id: 1000, reply: undefined }]);
  });

  it('stops at the upload budget in the middle of a request', async () => {
    const stats = { bytesUploaded: AGENT_LIMITS.uploadBudgetBytes - CHUNK_SIZE };
    const { upload, big } = await setup({ stats });
    const peer = new FakePeer();
    upload(peer.asPeer, request(5, big, 0, 3), new AbortController().signal);
    await peer.ended;
    expect(peer.chunks.map((c) => c.index)).toEqual([0]);
    expect(peer.ends).toEqual([{ id: 5, reply: { type: 'error', id: 5, code: 'budget' } }]);
  });

  it('drops a queued upload that was cancelled before its turn', async () => {
    const held = heldStore();
    const { upload, big } = await setup({ store: held.store });
    const reads = () => held.reads;
    const release = held.release;
    const busy = Array.from({ length: AGENT_LIMITS.maxConcurrentUploads }, () => new FakePeer());
    for (const [i, peer] of busy.entries()) {
      upload(peer.asPeer, request(i, big, 0, 1), new AbortController().signal);
    }
    const waiting = new FakePeer();
    const cancel = new AbortController();
    upload(waiting.asPeer, request(99, big, 0, 1), cancel.signal);
    cancel.abort();
    release();
    await Promise.all(busy.map((p) => p.ended));
    await waiting.ended;
    expect(waiting.ends).toEqual([{ id: 99, reply: undefined }]);
    expect(waiting.chunks).toEqual([]);
    expect(reads()).toBe(AGENT_LIMITS.maxConcurrentUploads);
  });

  it('answers budget past the session upload budget', async () => {
    const spent = await setup({ stats: { bytesUploaded: AGENT_LIMITS.uploadBudgetBytes } });
    const peer = new FakePeer();
    spent.upload(peer.asPeer, request(1, spent.big, 0, 1), new AbortController().signal);
    expect(peer.ends).toEqual([{ id: 1, reply: { type: 'error', id: 1, code: 'budget' } }]);
    expect(spent.reads).toEqual([]);

    // What fits exactly is served; one byte more than the budget left is not.
    const exact = await setup({
      stats: { bytesUploaded: AGENT_LIMITS.uploadBudgetBytes - SMALL.length },
    });
    const served = new FakePeer();
    exact.upload(served.asPeer, request(2, exact.small, 0, 1), new AbortController().signal);
    await served.ended;
    expect(served.ends).toEqual([{ id: 2, reply: undefined }]);
    expect(exact.stats.bytesUploaded).toBe(AGENT_LIMITS.uploadBudgetBytes);

    const over = await setup({
      stats: { bytesUploaded: AGENT_LIMITS.uploadBudgetBytes - SMALL.length + 1 },
    });
    const refused = new FakePeer();
    over.upload(refused.asPeer, request(3, over.small, 0, 1), new AbortController().signal);
    await refused.ended;
    expect(refused.ends).toEqual([{ id: 3, reply: { type: 'error', id: 3, code: 'budget' } }]);
    expect(refused.chunks).toEqual([]);
  });

  it('stops sending when the request is aborted', async () => {
    const { upload, big, stats } = await setup();
    const peer = new FakePeer();
    let open!: () => void;
    peer.gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const controller = new AbortController();
    upload(peer.asPeer, request(8, big, 0, 4), controller.signal);
    while (peer.chunks.length === 0) await tick();
    controller.abort();
    open();
    await peer.ended;
    expect(peer.chunks.map((c) => c.index)).toEqual([0]);
    expect(peer.ends).toEqual([{ id: 8, reply: undefined }]);
    expect(stats.bytesUploaded).toBe(CHUNK_SIZE);
  });

  it('stops sending when the peer closes', async () => {
    const { upload, big } = await setup();
    const peer = new FakePeer();
    let open!: () => void;
    peer.gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    upload(peer.asPeer, request(8, big, 0, 4), new AbortController().signal);
    while (peer.chunks.length < 1) await tick();
    peer.closed = true;
    open();
    await peer.ended;
    expect(peer.chunks.map((c) => c.index)).toEqual([0]);
    expect(peer.ends).toEqual([{ id: 8, reply: undefined }]);
  });

  it('never overruns the budget with concurrent uploads waiting on backpressure', async () => {
    const budget = 5 * CHUNK_SIZE;
    const { upload, large, stats } = await setup({ policy: { budgetBytes: budget } });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const peers = Array.from({ length: 4 }, () => new FakePeer());
    for (const [i, peer] of peers.entries()) {
      peer.gate = gate;
      upload(peer.asPeer, request(i, large, 0, 4), new AbortController().signal);
    }
    for (let i = 0; i < 20; i++) await tick();
    open();
    await Promise.all(peers.map((p) => p.ended));
    const sent = peers.reduce((n, p) => n + p.chunks.length, 0);
    expect(sent).toBe(5);
    expect(stats.bytesUploaded).toBe(budget);
  });

  describe('rate caps', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('sends the burst at once, then paces to the total rate', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      const { upload, large } = await setup({ policy: { rateBytesPerSec: MIB } });
      const peer = new FakePeer();
      upload(peer.asPeer, request(1, large, 0, 24), new AbortController().signal);
      await vi.advanceTimersByTimeAsync(0);
      expect(peer.chunks).toHaveLength(AGENT_LIMITS.uploadBurstBytes / CHUNK_SIZE);
      // 8 chunks of 64 KiB more at 1 MiB/s: half a second.
      await vi.advanceTimersByTimeAsync(240);
      expect(peer.chunks.length).toBeGreaterThan(16);
      expect(peer.chunks.length).toBeLessThan(24);
      await vi.advanceTimersByTimeAsync(300);
      await peer.ended;
      expect(peer.chunks).toHaveLength(24);
    });

    it('caps each peer on its own: a second peer gets its own burst', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      const { upload, large } = await setup({ policy: { peerRateBytesPerSec: MIB } });
      const one = new FakePeer();
      const two = new FakePeer();
      upload(one.asPeer, request(1, large, 0, 16), new AbortController().signal);
      upload(one.asPeer, request(2, large, 16, 8), new AbortController().signal);
      upload(two.asPeer, request(3, large, 0, 16), new AbortController().signal);
      await vi.advanceTimersByTimeAsync(0);
      expect(one.chunks).toHaveLength(16);
      expect(two.chunks).toHaveLength(16);
      await vi.advanceTimersByTimeAsync(600);
      expect(one.chunks).toHaveLength(24);
    });

    it('stops pacing at once when the request is cancelled', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      const { upload, large } = await setup({ policy: { rateBytesPerSec: CHUNK_SIZE } });
      const peer = new FakePeer();
      const cancel = new AbortController();
      upload(peer.asPeer, request(1, large, 0, 24), cancel.signal);
      await vi.advanceTimersByTimeAsync(0);
      expect(peer.chunks).toHaveLength(16);
      cancel.abort();
      await vi.advanceTimersByTimeAsync(0);
      await peer.ended;
      expect(peer.chunks).toHaveLength(16);
    });
  });

  describe('on a cellular connection', () => {
    afterEach(() => {
      vi.unstubAllGlobals();
    });

    function goCellular(): void {
      vi.stubGlobal('navigator', {
        connection: Object.assign(new EventTarget(), { type: 'cellular' }),
      });
    }

    it('uploads nothing unless the site allows it', async () => {
      goCellular();
      const refusing = await setup();
      const peer = new FakePeer();
      refusing.upload(peer.asPeer, request(1, refusing.small, 0, 1), new AbortController().signal);
      expect(peer.ends).toEqual([{ id: 1, reply: { type: 'error', id: 1, code: 'budget' } }]);
      expect(refusing.reads).toEqual([]);

      const allowing = await setup({ policy: { allowCellular: true } });
      const served = new FakePeer();
      allowing.upload(
        served.asPeer,
        request(2, allowing.small, 0, 1),
        new AbortController().signal,
      );
      await served.ended;
      expect(served.ends).toEqual([{ id: 2, reply: undefined }]);
    });
  });
});
