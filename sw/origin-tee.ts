import { CHUNK_SIZE, type ManifestAsset, verifyChunk } from '../protocol/index.js';
import type { AssetStore } from '../store/index.js';
import type { PeerAgent } from './agent-bridge.js';
import type { AssetRequest } from './asset-request.js';
import { countedResponse } from './counted-origin.js';
import { isPrivateResponse, type PrivateAssets } from './private-content.js';
import { ServedTally } from './served-reporter.js';
import { storeAndAnnounce } from './store-and-announce.js';

/**
 * The origin's answer, passed to the page as it arrives, while a copy is read to the end and,
 * if it is exactly the asset the manifest describes, stored and announced. The copy is read
 * even when the page drops its own, so that what was downloaded still seeds. An answer the
 * origin marks private is only counted, and the asset remembered as private.
 */
export async function originTeeResponse(
  req: AssetRequest,
  agent: PeerAgent,
  store: AssetStore | undefined,
  privateAssets: PrivateAssets,
): Promise<Response> {
  const response = await fetch(req.request);
  if (isPrivateResponse(response)) {
    privateAssets.add(req.asset.sha256);
    return countedResponse(req, response);
  }
  const tally = new ServedTally(req.url.pathname, req.clientId);
  if (response.status !== 200 || !response.body) {
    tally.report();
    return response;
  }
  const [toPage, toStore] = response.body.tee();
  req.waitUntil(keepIfVerified(req, agent, store, toStore, tally));
  return new Response(toPage, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

async function keepIfVerified(
  req: AssetRequest,
  agent: PeerAgent,
  store: AssetStore | undefined,
  body: ReadableStream<Uint8Array>,
  tally: ServedTally,
): Promise<void> {
  const parts = await readCounted(body, tally).catch(() => undefined);
  tally.report();
  if (!parts || !(await matchesManifest(req.asset, parts))) return;
  await storeAndAnnounce(req, agent, store, parts);
}

async function readCounted(
  body: ReadableStream<Uint8Array>,
  tally: ServedTally,
): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = [];
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return parts;
    parts.push(value);
    tally.origin += value.byteLength;
  }
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
