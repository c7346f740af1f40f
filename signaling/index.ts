/** The server side of PeerConnect: the site's origin and the signaling WebSocket. */
export type { FirstVisitMode } from './first-visit.js';
export { FIRST_VISIT_MODES } from './first-visit.js';
export { ORIGIN_METRIC_NAMES } from './origin-metrics.js';
export {
  DEFAULT_HOST,
  DEFAULT_PORT,
  type RunningServer,
  type ServeOptions,
  startServer,
} from './server.js';
export { attachSignaling, type Signaling, type SignalingOptions } from './signal-server.js';
