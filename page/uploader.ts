import { CHUNK_SIZE, chunkCount, type ManifestIndex } from '../protocol/index.js';
import { AGENT_LIMITS } from './config.js';
import type { Peer, UploadHandler, UploadRequest } from './peer.js';

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

/**
 * Serves peers' requests from the local asset store: one store read per request, then chunk
 * after chunk under the data channel's backpressure. A page asks for all its assets at once,
 * so requests past the concurrency cap wait in a queue (a data channel is no faster with more
 * uploads at a time). Each peer gets a share of the slots and of the queue, so one downloader
 * cannot crowd out the rest; past its share a peer gets `busy`, past the session's upload
 * budget (checked before every chunk) `error budget`.
 */
export function createUploader(options: {
  manifest: ManifestIndex;
  store: BlobSource;
  stats: UploadStats;
}): UploadHandler {
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
    const asset = options.manifest.get(request.asset)!;
    const last = request.first + request.count - 1;
    try {
      const blob = await options.store.getBlob(asset.sha256);
      if (!blob || blob.size !== asset.size) {
        peer.endUpload(request.id, { type: 'error', id: request.id, code: 'not-found' });
        return;
      }
      const start = request.first * CHUNK_SIZE;
      const bytes = await blob
        .slice(start, Math.min(asset.size, (last + 1) * CHUNK_SIZE))
        .arrayBuffer();
      for (let index = request.first; index <= last; index++) {
        if (signal.aborted || peer.closed) break;
        if (options.stats.bytesUploaded >= AGENT_LIMITS.uploadBudgetBytes) {
          peer.endUpload(request.id, { type: 'error', id: request.id, code: 'budget' });
          return;
        }
        const offset = (index - request.first) * CHUNK_SIZE;
        const chunk = bytes.slice(offset, offset + CHUNK_SIZE);
        await peer.sendChunk(request.id, index, chunk);
        options.stats.bytesUploaded += chunk.byteLength;
      }
      peer.endUpload(request.id);
    } catch {
      peer.endUpload(request.id, { type: 'error', id: request.id, code: 'internal' });
    }
  };

  return (peer, request, signal) => {
    const asset = options.manifest.get(request.asset);
    const last = request.first + request.count - 1;
    if (!asset || last >= chunkCount(asset.size)) {
      peer.endUpload(request.id, { type: 'error', id: request.id, code: 'bad-request' });
      return;
    }
    if (options.stats.bytesUploaded >= AGENT_LIMITS.uploadBudgetBytes) {
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
