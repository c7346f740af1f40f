/** The IndexedDB asset store, shared by the service worker and the page agent. */
export { AssetStore } from './asset-store.js';
export { STORE_LIMITS } from './limits.js';
export { requestPersistence } from './persistence.js';
export type { AssetMeta, StoredAsset, StoredPage } from './records.js';
export { STORE_SCHEMA_VERSION } from './schema.js';
