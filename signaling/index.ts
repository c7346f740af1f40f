/** WebSocket signaling: swarms per site, content-id announcements and finds, relaying, limits and metrics. */

export { DEFAULT_MIN_SWARM } from './signal-limits.js';
export { SIGNAL_METRIC_NAMES } from './signal-metrics.js';
export {
  attachSignaling,
  type ProxyView,
  type Signaling,
  type SignalingOptions,
} from './signal-server.js';
