import type { AssetDeps, AssetRequest } from './asset-request.js';
import { countedOriginResponse } from './counted-origin.js';
import { MAX_PEER_ASSET_BYTES } from './deadlines.js';
import { originTeeResponse } from './origin-tee.js';
import { peerResponse } from './peer-stream.js';
import { ServedTally } from './served-reporter.js';
import { storedResponse } from './stored-response.js';

/**
 * Answers a request for a manifest asset: from the store if held, else from peers through the
 * agent (streamed as soon as the first verified chunk is there), else from the origin. What was
 * fully received and verified is stored and announced for seeding.
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
  if (range || req.asset.size > MAX_PEER_ASSET_BYTES || deps.privateAssets.has(req.asset.sha256)) {
    return countedOriginResponse(req);
  }
  return (
    (await peerResponse(req, deps.bridge, store)) ??
    originTeeResponse(req, deps.bridge, store, deps.privateAssets)
  );
}
