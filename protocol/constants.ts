/** Sizes, paths and limits shared by the origin, the service worker and the peer agent. */

export const KIB = 1024;
export const MIB = 1024 * KIB;
/** Decimal megabyte, as people and plans count bytes. */
export const MB = 1000 * 1000;

/** Assets are hashed, requested and verified in chunks of this size (the last one may be shorter). */
export const CHUNK_SIZE = 64 * KIB;

/** Version of the manifest format (`format` field of the root and of every shard). */
export const MANIFEST_FORMAT = 2;

/** Well-known URL paths on the origin. */
export const PATHS = {
  serviceWorker: '/peerconnect-sw.js',
  agent: '/peerconnect/agent.js',
  manifest: '/peerconnect/manifest.json',
  /** Prefix of the content-addressed manifest shards: `<prefix><sha256>.json`. */
  shards: '/peerconnect/shards/',
  signal: '/peerconnect/signal',
  healthz: '/peerconnect/healthz',
  metrics: '/peerconnect/metrics',
} as const;

/** Directory, inside a site, where `peerconnect build` writes its output. */
export const OUTPUT_DIR = 'peerconnect';
export const MANIFEST_FILE = 'manifest.json';
/** Folder, inside OUTPUT_DIR, that holds the shard files. */
export const SHARDS_DIR = 'shards';

/**
 * Response header with the release (manifest root version) the origin serves: a worker that
 * sees a different one refreshes its manifest, so open tabs pick up a deploy without navigating.
 */
export const RELEASE_HEADER = 'x-peerconnect-release';
