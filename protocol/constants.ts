/** Sizes, paths and limits shared by the origin, the service worker and the peer agent. */

export const KIB = 1024;
export const MIB = 1024 * KIB;

/** Assets are hashed, requested and verified in chunks of this size (the last one may be shorter). */
export const CHUNK_SIZE = 64 * KIB;

/** Version of the manifest format (`format` field). */
export const MANIFEST_FORMAT = 1;

/** Well-known URL paths on the origin. */
export const PATHS = {
  serviceWorker: '/peerconnect-sw.js',
  agent: '/peerconnect/agent.js',
  manifest: '/peerconnect/manifest.json',
  signal: '/peerconnect/signal',
  healthz: '/peerconnect/healthz',
  metrics: '/peerconnect/metrics',
} as const;

/** Directory, inside a site, where `peerconnect build` writes its output. */
export const OUTPUT_DIR = 'peerconnect';
export const MANIFEST_FILE = 'manifest.json';
