/** `peerconnect serve` in one process: the origin, signaling and STUN, on one host. */

export {
  type AgentSettings,
  DEFAULT_UPLOAD_BUDGET,
  FIRST_VISIT_MODES,
  type FirstVisitMode,
  isTrustProxyEntry,
  LOOPBACK_KEYWORD,
} from '../origin/index.js';
export { DEFAULT_MIN_SWARM } from '../signaling/index.js';
export { ServerError } from './errors.js';
export {
  DEFAULT_HOST,
  DEFAULT_PORT,
  type RunningServer,
  type ServeOptions,
  startServer,
} from './server.js';
export { DEFAULT_STUN_PORT } from './stun-server.js';
export type { TlsFiles } from './tls-files.js';
export type { TurnOptions } from './turn-credentials.js';
