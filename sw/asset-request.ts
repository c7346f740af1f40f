import type { ManifestAsset } from '../protocol/index.js';
import type { AssetStore } from '../store/index.js';
import type { PeerAgent } from './agent-bridge.js';

/** One routed fetch of a manifest asset. */
export interface AssetRequest {
  request: Request;
  url: URL;
  asset: ManifestAsset;
  /** The asset's position in the manifest, which is how the agent names it. */
  index: number;
  manifestVersion: string;
  clientId: string;
  /** Keeps the worker alive for work that outlives the response (storing, reporting). */
  waitUntil: (promise: Promise<unknown>) => void;
}

export interface AssetDeps {
  store: () => Promise<AssetStore | undefined>;
  bridge: PeerAgent;
}
