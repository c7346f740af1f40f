export { type AssetMeta, AssetStore, STORE_LIMITS, type StoredAsset } from './asset-store.js';
