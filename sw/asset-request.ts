import type { ManifestAsset } from '../protocol/index.js';
import type { AssetStore } from '../store/index.js';
import type { PeerAgent } from './agent-bridge.js';
import type { PrivateAssets } from './private-content.js';

/** One routed fetch of a manifest asset. */
export interface AssetRequest {
  request: Request;
  url: URL;
  /** The current release's record for the path: the only bytes this request may get. */
  asset: ManifestAsset;
  /** The root version the record came from; what is stored is marked as referenced by it. */
  release: string;
  clientId: string;
  /** Keeps the worker alive for work that outlives the response (storing, reporting). */
  waitUntil: (promise: Promise<unknown>) => void;
}

export interface AssetDeps {
  store: () => Promise<AssetStore | undefined>;
  bridge: PeerAgent;
  /** Assets the origin answered as private: origin only, never asked of peers. */
  privateAssets: PrivateAssets;
}
