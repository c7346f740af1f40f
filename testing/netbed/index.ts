/**
 * A test bed of real networks: Linux network namespaces with a "public internet"
 * (198.18.0.0/24), home networks behind full-cone or symmetric NAT routers, optional rate
 * limits, Chromium inside a home, coturn on the public side and a STUN probe. Root only; check
 * `checkNetbedAvailable()` first. See netbed.ts for the layout.
 */
export * from './addresses.js';
export { type Availability, checkNetbedAvailable } from './availability.js';
export type { BedProcess, SpawnOptions } from './bed-process.js';
export { chromiumArgs, DEFAULT_CHROMIUM_PATH } from './chromium.js';
export type { CommandResult, RunOptions } from './command.js';
export {
  DEFAULT_TURN_PORT,
  startCoturn,
  type TurnCredentials,
  type TurnServer,
  type TurnServerOptions,
  turnRestCredentials,
} from './coturn.js';
export { NAMESPACE_PREFIX, removeStaleNamespaces } from './namespace.js';
export { NAT_KINDS, type NatKind } from './nat.js';
export {
  createNetbed,
  type Home,
  type HomeSpec,
  type Netbed,
  type NetbedOptions,
} from './netbed.js';
export type { PortForward } from './port-forward.js';
export type { RateLimit } from './rate-limit.js';
export type { StunAddress } from './stun-message.js';
export {
  type StunProbeAnswer,
  type StunProbeReport,
  type StunProbeTarget,
  stunProbe,
} from './stun-probe.js';
