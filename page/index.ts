/** The page agent's surface for code outside the bundle (e2e, bench): types and limits. */
export { AGENT_LIMITS } from './config.js';
export type { PeerConnectStats } from './stats.js';
