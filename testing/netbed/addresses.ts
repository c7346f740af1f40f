/**
 * The address plan of a test bed. Everything lives in namespaces the bed creates: the "public
 * internet" is 198.18.0.0/24 (RFC 2544 benchmarking range, never routed) on one bridge, and home
 * network N is 10.N.0.0/24 behind its router. Nothing has a default route out of the bed.
 */

export const PUBLIC_PREFIX_LENGTH = 24;
export const PUBLIC_NETWORK = `198.18.0.0/${PUBLIC_PREFIX_LENGTH}`;
/** Where `peerconnect serve` listens. */
export const SERVER_IP = '198.18.0.1';
/** Extra public hosts, e.g. a TURN server (two addresses: RFC 5780 needs a second one). */
export const TURN_IP = '198.18.0.2';
export const TURN_ALT_IP = '198.18.0.3';
export const SECOND_SERVER_IP = '198.18.0.4';
export const DEFAULT_PUBLIC_HOSTS: readonly string[] = [TURN_IP, TURN_ALT_IP, SECOND_SERVER_IP];

/** Home networks are numbered 1..MAX_HOMES; router N's WAN address is 198.18.0.(10+N). */
export const MAX_HOMES = 200;
const ROUTER_WAN_BASE = 10;
const LAN_PREFIX_LENGTH = 24;

export function routerWanIp(home: number): string {
  return `198.18.0.${ROUTER_WAN_BASE + home}`;
}

export function routerLanIp(home: number): string {
  return `10.${home}.0.1`;
}

export function homeHostIp(home: number): string {
  return `10.${home}.0.2`;
}

export function withPublicPrefix(ip: string): string {
  return `${ip}/${PUBLIC_PREFIX_LENGTH}`;
}

export function withLanPrefix(ip: string): string {
  return `${ip}/${LAN_PREFIX_LENGTH}`;
}

/** Public hosts take 198.18.0.1..10; routers take 198.18.0.11 and up. */
const MAX_PUBLIC_HOST = ROUTER_WAN_BASE;

/** Whether `ip` is an address a public host of the bed may have. */
export function isPublicHostAddress(ip: string): boolean {
  const match = /^198\.18\.0\.(\d{1,3})$/.exec(ip);
  return match !== null && Number(match[1]) >= 1 && Number(match[1]) <= MAX_PUBLIC_HOST;
}
