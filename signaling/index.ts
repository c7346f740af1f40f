/** WebSocket signaling: swarms, relaying offers and answers, limits and metrics. */
export { attachSignaling, type Signaling, type SignalingOptions } from './signal-server.js';
