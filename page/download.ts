import {
  chunkCount,
  isPeerConnectError,
  type ManifestAsset,
  PeerConnectError,
  verifyChunk,
} from '../protocol/index.js';
import { AGENT_LIMITS } from './config.js';
import type { ChunkSink, Peer } from './peer.js';
import type { PeerPool } from './peer-pool.js';

export interface DownloadOptions {
  asset: ManifestAsset;
  pool: PeerPool;
  /** Asks signaling for holders of the asset. */
  findPeers: () => Promise<string[]>;
  /** Verified chunks in order, then one `onEnd`. */
  sink: ChunkSink;
}

interface Range {
  first: number;
  last: number;
}

/**
 * Downloads one asset from several peers at once: it splits the chunks into requests, keeps a
 * few in flight per peer, verifies every chunk against the manifest, reorders, and hands the
 * sink a contiguous verified prefix. A bad chunk bans its peer; a failed request goes back to
 * the queue; with no peer left it ends with the error, and the worker takes the rest from the
 * origin.
 */
export class AssetDownload {
  private readonly options: DownloadOptions;
  private readonly total: number;
  private readonly retry: Range[] = [];
  private readonly ready = new Map<number, ArrayBuffer>();
  /** Each active peer's requests in flight: id → requeues its chunks not yet received. */
  private readonly active = new Map<Peer, Map<number, () => void>>();
  private readonly tried = new Set<string>();
  private nextUnassigned = 0;
  private emitted = 0;
  private finished = false;
  private lastError: PeerConnectError = new PeerConnectError('no-peers');
  private searching = false;
  /** Chunks received and still being hashed: an end for lack of peers waits for them. */
  private readonly verifying = new Set<Promise<void>>();

  constructor(options: DownloadOptions) {
    this.options = options;
    this.total = chunkCount(options.asset.size);
  }

  start(): void {
    if (this.total === 0) {
      this.finish();
      return;
    }
    void this.searchPeers();
  }

  cancel(): void {
    this.finish(new PeerConnectError('cancelled'));
  }

  private async searchPeers(): Promise<void> {
    if (this.searching || this.finished) return;
    this.searching = true;
    try {
      const ids = (await this.options.findPeers()).filter(
        (id) => !this.tried.has(id) && !this.options.pool.isUseless(id),
      );
      const wanted = AGENT_LIMITS.peersPerDownload - this.active.size;
      await this.dialWithinBudget(ids.slice(0, Math.max(wanted, 0)));
    } catch (err) {
      if (isPeerConnectError(err)) this.lastError = err;
    } finally {
      this.searching = false;
    }
    if (this.active.size === 0) await this.finishWhenVerified(this.lastError);
  }

  /** Chunks that arrived before the last peer failed still reach the worker, in order. */
  private async finishWhenVerified(error: PeerConnectError): Promise<void> {
    while (this.verifying.size > 0 && !this.finished) await Promise.all(this.verifying);
    if (this.active.size === 0) this.finish(error);
    else for (const peer of this.active.keys()) this.fill(peer);
  }

  /**
   * Dials `ids` and waits for them at most `peerDialWaitMs`: a peer still connecting then joins
   * this download if it opens before the download ends, and serves later ones either way.
   */
  private async dialWithinBudget(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const budget = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, AGENT_LIMITS.peerDialWaitMs);
    });
    const dials = ids.map((id) => {
      this.tried.add(id);
      return this.options.pool.connect(id).then(
        (peer) => this.addPeer(peer),
        (err: unknown) => {
          if (isPeerConnectError(err)) this.lastError = err;
        },
      );
    });
    let settled = false;
    await Promise.race([Promise.all(dials).then(() => (settled = true)), budget]);
    clearTimeout(timer);
    if (!settled && this.active.size === 0) {
      this.lastError = new PeerConnectError(
        'peer-timeout',
        'no peer connected within the dial budget',
      );
    }
  }

  private addPeer(peer: Peer): void {
    if (this.finished || this.active.has(peer) || peer.closed) return;
    this.tried.add(peer.id);
    this.active.set(peer, new Map());
    this.fill(peer);
  }

  private hasWork(): boolean {
    return this.retry.length > 0 || this.nextUnassigned < this.total;
  }

  private takeWork(): Range | undefined {
    const retried = this.retry.shift();
    if (retried) {
      const last = Math.min(retried.last, retried.first + AGENT_LIMITS.chunksPerRequest - 1);
      if (last < retried.last) this.retry.unshift({ first: last + 1, last: retried.last });
      return { first: retried.first, last };
    }
    if (this.nextUnassigned >= this.total) return undefined;
    const first = this.nextUnassigned;
    const last = Math.min(this.total, first + AGENT_LIMITS.chunksPerRequest) - 1;
    this.nextUnassigned = last + 1;
    return { first, last };
  }

  private fill(peer: Peer): void {
    const requests = this.active.get(peer);
    if (!requests) return;
    while (
      !this.finished &&
      this.active.get(peer) === requests &&
      requests.size < AGENT_LIMITS.requestsInFlightPerPeer &&
      this.hasWork()
    ) {
      const range = this.takeWork();
      if (!range) return;
      let received = 0;
      // Peer.request may end the request synchronously (a send that throws tears the peer down).
      let id: number | undefined;
      let ended = false;
      const end = (): void => {
        ended = true;
        if (id !== undefined) requests.delete(id);
      };
      const requeue = (): void => {
        if (ended) return;
        end();
        const remaining = range.first + received;
        if (remaining <= range.last) this.retry.push({ first: remaining, last: range.last });
        this.retry.sort((a, b) => a.first - b.first);
      };
      const sink: ChunkSink = {
        onChunk: (index, data) => {
          received++;
          const verified = this.accept(peer, index, data).finally(() =>
            this.verifying.delete(verified),
          );
          this.verifying.add(verified);
        },
        onEnd: (error) => {
          if (ended) return;
          if (error) {
            requeue();
            this.dropPeer(peer, error);
          } else {
            end();
            this.fill(peer);
          }
        },
      };
      id = peer.request(this.options.asset.sha256, range.first, range.last - range.first + 1, sink);
      if (!ended) requests.set(id, requeue);
    }
  }

  private async accept(peer: Peer, index: number, data: ArrayBuffer): Promise<void> {
    const ok = await verifyChunk(this.options.asset, index, data);
    if (this.finished) return;
    if (!ok) {
      const error = new PeerConnectError('bad-hash', `chunk ${index}`);
      this.retry.push({ first: index, last: index });
      this.retry.sort((a, b) => a.first - b.first);
      // Drop the peer here, not only through the ban: it may have no request left to fail, and
      // the chunk just put back must still go to another peer (or start a search).
      this.dropPeer(peer, error);
      this.options.pool.ban(peer.id, error);
      return;
    }
    this.ready.set(index, data);
    while (this.ready.has(this.emitted)) {
      const chunk = this.ready.get(this.emitted)!;
      this.ready.delete(this.emitted);
      this.options.sink.onChunk(this.emitted, chunk);
      this.emitted++;
    }
    if (this.emitted === this.total) this.finish();
  }

  private dropPeer(peer: Peer, error: PeerConnectError): void {
    if (this.finished) return;
    this.lastError = error;
    const requests = this.active.get(peer);
    this.active.delete(peer);
    // Every request still in flight to this peer goes back to `retry`, not only the failed one.
    for (const [id, requeue] of [...(requests ?? [])]) {
      requeue();
      peer.cancel(id);
    }
    // Requests of the dropped peer went back to `retry`; hand them to the others.
    for (const other of this.active.keys()) this.fill(other);
    if (this.active.size === 0 && this.hasWork()) void this.searchPeers();
  }

  private finish(error?: PeerConnectError): void {
    if (this.finished) return;
    this.finished = true;
    for (const [peer, requests] of this.active) for (const id of requests.keys()) peer.cancel(id);
    this.active.clear();
    this.ready.clear();
    this.options.sink.onEnd(error);
  }
}
