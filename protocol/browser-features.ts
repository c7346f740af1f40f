/**
 * What PeerConnect relies on in a browser. Without any one of them it steps aside: the
 * bootstrap installs no worker, the agent starts nothing, and the site is the plain site.
 */

/** Globals of a page's window: peers (WebRTC), tabs and worker (channels), the store, streams. */
export const PAGE_FEATURE_GLOBALS = [
  'RTCPeerConnection',
  'RTCDataChannel',
  'BroadcastChannel',
  'MessageChannel',
  'indexedDB',
  'ReadableStream',
] as const;

/** Properties of `navigator`: the service worker, and Web Locks for the one leader tab. */
export const NAVIGATOR_FEATURES = ['serviceWorker', 'locks'] as const;

/** Globals of the service worker: the agent bridge, the store and streamed responses. */
export const WORKER_FEATURE_GLOBALS = [
  'BroadcastChannel',
  'MessageChannel',
  'indexedDB',
  'ReadableStream',
] as const;

/** The names among `names` that `scope` lacks (absent, undefined or null). */
export function missingFeatures(scope: object, names: readonly string[]): string[] {
  return names.filter((name) => (scope as Record<string, unknown>)[name] == null);
}
