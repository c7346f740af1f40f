import {
  CHUNK_SIZE,
  chunkCount,
  type ManifestAsset,
  PeerConnectError,
  verifyChunk,
} from '../protocol/index.js';
import type { AssetStore } from '../store/index.js';
import type { AgentBridge, AgentSession, ChunkResult } from './agent-bridge.js';
import { DEADLINES, MAX_PEER_ASSET_BYTES } from './deadlines.js';
import { OriginResume } from './origin-resume.js';
import { ServedTally } from './served-reporter.js';
import { assetHeaders, storedResponse } from './stored-response.js';

export interface AssetRequest {
  request: Request;
  url: URL;
  asset: ManifestAsset;
  index: number;
  manifestVersion: string;
  clientId: string;
  waitUntil: (promise: Promise<unknown>) => void;
}

export interface AssetDeps {
  store: () => Promise<AssetStore | undefined>;
  bridge: AgentBridge;
}

/**
 * Answers a request for a manifest asset: from the store if held, else from peers through the
 * agent (streamed as soon as the first verified chunk is there), else from the origin; when
 * the peers stall or fail mid-way the origin serves the missing bytes (Range) into the same
 * response. What was fully received and verified is stored and announced for seeding.
 */
export async function respondWithAsset(req: AssetRequest, deps: AssetDeps): Promise<Response> {
  const store = await deps.store();
  const stored = await store?.get(req.asset.sha256).catch(() => undefined);
  const range = req.request.headers.get('Range');
  if (stored) {
    const tally = new ServedTally(req.url.pathname, req.clientId);
    tally.cache = stored.meta.size;
    tally.report();
    return storedResponse(req.asset, stored.data, range);
  }
  // Partial requests (media elements) are the origin's; large media has its own path.
  if (range || req.asset.size > MAX_PEER_ASSET_BYTES) return countedOriginResponse(req);
  return fromPeersOrOrigin(req, deps, store);
}

async function firstChunk(
  req: AssetRequest,
  deps: AssetDeps,
): Promise<[AgentSession, ArrayBuffer] | undefined> {
  if (req.asset.size === 0) return undefined;
  let session: AgentSession;
  try {
    session = await deps.bridge.open(req.index, req.manifestVersion);
  } catch {
    return undefined;
  }
  const result = await session.next(DEADLINES.firstChunkMs);
  if (await isChunk(req.asset, 0, result)) return [session, (result as { data: ArrayBuffer }).data];
  deps.bridge.release(session);
  return undefined;
}

async function isChunk(asset: ManifestAsset, index: number, result: ChunkResult): Promise<boolean> {
  return (
    !('error' in result) && result.index === index && (await verifyChunk(asset, index, result.data))
  );
}

async function fromPeersOrOrigin(
  req: AssetRequest,
  deps: AssetDeps,
  store: AssetStore | undefined,
): Promise<Response> {
  const tally = new ServedTally(req.url.pathname, req.clientId);
  const first = await firstChunk(req, deps);
  if (!first) return fromOrigin(req, deps, store, tally);

  const { asset } = req;
  const total = chunkCount(asset.size);
  const parts: Uint8Array[] = [];
  let session: AgentSession | undefined = first[0];
  let nextIndex = 0;
  let origin: OriginResume | undefined;
  let cancelled = false;
  let settle!: () => void;
  req.waitUntil(new Promise<void>((resolve) => (settle = resolve)));

  const stopPeers = () => {
    if (session) deps.bridge.release(session);
    session = undefined;
  };
  const deliver = (controller: ReadableStreamDefaultController<Uint8Array>, bytes: Uint8Array) => {
    parts.push(bytes);
    nextIndex++;
    controller.enqueue(bytes);
    if (nextIndex < total) return;
    stopPeers();
    tally.report();
    controller.close();
    req.waitUntil(storeAndAnnounce(req, deps, store, parts).finally(settle));
  };

  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      tally.peer += first[1].byteLength;
      deliver(controller, new Uint8Array(first[1]));
    },
    async pull(controller) {
      try {
        if (session) {
          const result = await session.next(DEADLINES.stallMs);
          if (cancelled) return;
          if (await isChunk(asset, nextIndex, result)) {
            const bytes = new Uint8Array((result as { data: ArrayBuffer }).data);
            tally.peer += bytes.byteLength;
            deliver(controller, bytes);
            return;
          }
          stopPeers();
        }
        origin ??= new OriginResume(req.url.href, asset, nextIndex);
        const bytes = await origin.read();
        if (cancelled) return;
        if (!bytes) throw new PeerConnectError('origin-error', 'asset ended early');
        tally.origin += bytes.byteLength;
        deliver(controller, bytes);
      } catch (err) {
        if (cancelled) return;
        stopPeers();
        origin?.cancel();
        tally.report();
        settle();
        controller.error(err);
      }
    },
    cancel() {
      cancelled = true;
      stopPeers();
      origin?.cancel();
      tally.report();
      settle();
    },
  });
  return new Response(body, { status: 200, headers: assetHeaders(asset, 'peer') });
}

async function fromOrigin(
  req: AssetRequest,
  deps: AssetDeps,
  store: AssetStore | undefined,
  tally: ServedTally,
): Promise<Response> {
  const response = await fetch(req.request);
  if (response.status !== 200 || !response.body) {
    tally.report();
    return response;
  }
  const [toPage, toStore] = response.body.tee();
  req.waitUntil(
    (async () => {
      const parts: Uint8Array[] = [];
      const reader = toStore.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        tally.origin += value.byteLength;
      }
      tally.report();
      if (await matchesManifest(req.asset, parts)) await storeAndAnnounce(req, deps, store, parts);
    })().catch(() => {}),
  );
  return new Response(toPage, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/**
 * The origin's own response, its body bytes reported to the page when it ends or is cancelled
 * (a media element reads part of a range and drops the rest).
 */
async function countedOriginResponse(req: AssetRequest): Promise<Response> {
  const response = await fetch(req.request);
  if (!response.body) return response;
  const tally = new ServedTally(req.url.pathname, req.clientId);
  const reader = response.body.getReader();
  const counted = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        tally.report();
        controller.close();
        return;
      }
      tally.origin += value.byteLength;
      controller.enqueue(value);
    },
    cancel(reason) {
      tally.report();
      return reader.cancel(reason);
    },
  });
  return new Response(counted, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/** True when the bytes are exactly the asset the manifest describes (an origin file may be newer). */
async function matchesManifest(asset: ManifestAsset, parts: Uint8Array[]): Promise<boolean> {
  const blob = new Blob(parts as BlobPart[]);
  if (blob.size !== asset.size) return false;
  const bytes = new Uint8Array(await blob.arrayBuffer());
  for (let i = 0; i < asset.chunks.length; i++) {
    const chunk = bytes.subarray(i * CHUNK_SIZE, Math.min(asset.size, (i + 1) * CHUNK_SIZE));
    if (!(await verifyChunk(asset, i, chunk))) return false;
  }
  return true;
}

/** Stores bytes already verified against the manifest and offers them to peers. */
async function storeAndAnnounce(
  req: AssetRequest,
  deps: AssetDeps,
  store: AssetStore | undefined,
  parts: Uint8Array[],
): Promise<void> {
  if (!store) return;
  const { asset } = req;
  const stored = await store
    .put(
      { sha256: asset.sha256, path: asset.path, size: asset.size, type: asset.type },
      new Blob(parts as BlobPart[], { type: asset.type }),
    )
    .catch(() => false);
  if (stored) deps.bridge.notifyStored(req.index, req.manifestVersion);
}
