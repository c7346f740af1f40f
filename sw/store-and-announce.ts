import type { AssetStore } from '../store/index.js';
import type { PeerAgent } from './agent-bridge.js';
import type { AssetRequest } from './asset-request.js';

/**
 * Stores bytes already verified against the manifest and offers them to peers. A store that
 * refuses them (budget, quota, a broken database) only means nothing is seeded: never an error.
 */
export async function storeAndAnnounce(
  req: Pick<AssetRequest, 'asset' | 'release'>,
  agent: Pick<PeerAgent, 'notifyStored'>,
  store: AssetStore | undefined,
  parts: Uint8Array[],
): Promise<void> {
  if (!store) return;
  const { asset } = req;
  const stored = await store
    .put(
      { sha256: asset.sha256, path: asset.path, size: asset.size, type: asset.type },
      new Blob(parts as BlobPart[], { type: asset.type }),
      req.release,
    )
    .catch(() => false);
  if (stored) agent.notifyStored(asset.sha256);
}
