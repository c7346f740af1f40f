/** WebSocket signaling: swarms, relaying offers and answers, limits and metrics. */

export { SIGNAL_METRIC_NAMES } from './signal-metrics.js';
export { attachSignaling, type Signaling, type SignalingOptions } from './signal-server.js';
