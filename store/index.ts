/** The IndexedDB asset store, shared by the service worker and the page agent. */
export { type AssetMeta, AssetStore, STORE_LIMITS, type StoredAsset } from './asset-store.js';
