import { CHUNK_SIZE, chunkCount } from '../protocol/index.js';
import { AGENT_LIMITS } from './config.js';
import type { Peer, UploadHandler, UploadRequest } from './peer.js';
import { TokenBucket } from './token-bucket.js';
import { type UploadPause, type UploadPolicy, uploadPause } from './upload-policy.js';

export interface BlobSource {
  getBlob(sha256: string): Promise<Blob | undefined>;
}

export interface UploadStats {
  bytesUploaded: number;
}

interface QueuedUpload {
  peer: Peer;
  request: UploadRequest;
  signal: AbortSignal;
}

/** Waits `ms`, or less when `signal` aborts first. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/**
 * Serves peers' requests for content (by sha-256) from the local asset store, whatever release
 * stored it: one store read per request, then chunk after chunk under the data channel's
 * backpressure and the site's rate caps. A page asks for all its assets at once, so requests
 * past the concurrency cap wait in a queue (a data channel is no faster with more uploads at a
 * time). Each peer gets a share of the slots and of the queue, so one downloader cannot crowd
 * out the rest; past its share a peer gets `busy`. With uploads paused (the session's budget,
 * checked before every chunk, or a cellular connection) a peer gets `error budget`.
 */
export function createUploader(options: {
  store: BlobSource;
  stats: UploadStats;
  policy: UploadPolicy;
  /** The store no longer holds `sha256` (evicted, or found damaged): stop announcing it. */
  onMissing?: (sha256: string) => void;
  /** A request was refused because uploads are paused, or its bytes would overrun the budget. */
  onPaused?: (reason: UploadPause) => void;
}): UploadHandler {
  const { policy } = options;
  const burst = AGENT_LIMITS.uploadBurstBytes;
  const total = policy.rateBytesPerSec ? new TokenBucket(policy.rateBytesPerSec, burst) : undefined;
  // Kept for the peer's life: a peer that pauses between requests gets no fresh burst early.
  const perPeerRate = new WeakMap<Peer, TokenBucket>();
  const peerBucket = (peer: Peer): TokenBucket | undefined => {
    if (!policy.peerRateBytesPerSec) return undefined;
    let bucket = perPeerRate.get(peer);
    if (!bucket) {
      bucket = new TokenBucket(policy.peerRateBytesPerSec, burst);
      perPeerRate.set(peer, bucket);
    }
    return bucket;
  };
  /** Why `bytes` more may not go out now: paused, or they would overrun the budget. */
  const refused = (bytes = 0): UploadPause | undefined =>
    uploadPause(policy, options.stats.bytesUploaded) ??
    (options.stats.bytesUploaded + bytes > policy.budgetBytes ? 'budget' : undefined);

  let running = 0;
  const queue: QueuedUpload[] = [];
  const perPeer = new Map<Peer, { running: number; queued: number }>();
  const share = (peer: Peer) => {
    let counts = perPeer.get(peer);
    if (!counts) {
      counts = { running: 0, queued: 0 };
      perPeer.set(peer, counts);
    }
    return counts;
  };
  const release = (peer: Peer, counts: { running: number; queued: number }) => {
    if (counts.running === 0 && counts.queued === 0) perPeer.delete(peer);
  };

  /** Starts queued uploads, oldest first, skipping peers already at their share. */
  const next = () => {
    for (let i = 0; i < queue.length && running < AGENT_LIMITS.maxConcurrentUploads; ) {
      const upload = queue[i]!;
      const counts = share(upload.peer);
      const gone = upload.signal.aborted || upload.peer.closed;
      if (!gone && counts.running >= AGENT_LIMITS.maxConcurrentUploadsPerPeer) {
        i++;
        continue;
      }
      queue.splice(i, 1);
      counts.queued--;
      if (gone) {
        upload.peer.endUpload(upload.request.id);
        release(upload.peer, counts);
        continue;
      }
      running++;
      counts.running++;
      void serve(upload).finally(() => {
        running--;
        counts.running--;
        release(upload.peer, counts);
        next();
      });
    }
  };

  const serve = async ({ peer, request, signal }: QueuedUpload): Promise<void> => {
    const last = request.first + request.count - 1;
    try {
      const blob = await options.store.getBlob(request.sha256);
      if (!blob) {
        options.onMissing?.(request.sha256);
        peer.endUpload(request.id, { type: 'error', id: request.id, code: 'not-found' });
        return;
      }
      if (last >= chunkCount(blob.size)) {
        peer.endUpload(request.id, { type: 'error', id: request.id, code: 'bad-request' });
        return;
      }
      const start = request.first * CHUNK_SIZE;
      const bytes = await blob
        .slice(start, Math.min(blob.size, (last + 1) * CHUNK_SIZE))
        .arrayBuffer();
      for (let index = request.first; index <= last; index++) {
        if (signal.aborted || peer.closed) break;
        const offset = (index - request.first) * CHUNK_SIZE;
        const chunk = bytes.slice(offset, offset + CHUNK_SIZE);
        const why = refused(chunk.byteLength);
        if (why) {
          options.onPaused?.(why);
          peer.endUpload(request.id, { type: 'error', id: request.id, code: 'budget' });
          return;
        }
        const wait = Math.max(
          total?.reserve(chunk.byteLength) ?? 0,
          peerBucket(peer)?.reserve(chunk.byteLength) ?? 0,
        );
        if (wait > 0) await sleep(wait, signal);
        if (signal.aborted || peer.closed) break;
        // Counted before the send waits on backpressure: concurrent uploads then never
        // all pass the budget check with the same last bytes.
        options.stats.bytesUploaded += chunk.byteLength;
        await peer.sendChunk(request.id, index, chunk);
      }
      peer.endUpload(request.id);
    } catch {
      peer.endUpload(request.id, { type: 'error', id: request.id, code: 'internal' });
    }
  };

  return (peer, request, signal) => {
    const why = refused();
    if (why) {
      options.onPaused?.(why);
      peer.endUpload(request.id, { type: 'error', id: request.id, code: 'budget' });
      return;
    }
    const counts = share(peer);
    if (
      queue.length >= AGENT_LIMITS.maxQueuedUploads ||
      counts.queued >= AGENT_LIMITS.maxQueuedUploadsPerPeer
    ) {
      peer.endUpload(request.id, 'busy');
      release(peer, counts);
      return;
    }
    counts.queued++;
    queue.push({ peer, request, signal });
    next();
  };
}
