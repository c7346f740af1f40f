import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** `--trust-proxy loopback`: every loopback address, IPv4 and IPv6. */
export const LOOPBACK_KEYWORD = 'loopback';
const LOOPBACK_SUBNETS: ReadonlyArray<readonly [string, number, 'ipv4' | 'ipv6']> = [
  ['127.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
];
const CIDR = /^([^/]+)\/(\d{1,3})$/;
const MAX_PREFIX = { ipv4: 32, ipv6: 128 } as const;

export type Scheme = 'http' | 'https';

/**
 * Which connections' forwarding headers to believe. A proxy in front of `peerconnect serve`
 * says who the client is (`X-Forwarded-For`) and which scheme it came in on
 * (`X-Forwarded-Proto`); from anyone else those headers are lies a client can type.
 */
export interface ProxyTrust {
  /** The client's address: the connection's, or from a trusted proxy its X-Forwarded-For. */
  clientAddress(req: IncomingMessage): string;
  /** The scheme the client used: the connection's, or from a trusted proxy X-Forwarded-Proto. */
  scheme(req: IncomingMessage): Scheme;
}

/** One `--trust-proxy` entry as a subnet, or undefined when it is neither IP, CIDR nor keyword. */
function subnetsOf(entry: string): Array<readonly [string, number, 'ipv4' | 'ipv6']> | undefined {
  if (entry === LOOPBACK_KEYWORD) return [...LOOPBACK_SUBNETS];
  const cidr = CIDR.exec(entry);
  const address = cidr?.[1] ?? entry;
  const family = familyOf(address);
  if (!family) return undefined;
  const prefix = cidr ? Number(cidr[2]) : MAX_PREFIX[family];
  if (prefix > MAX_PREFIX[family]) return undefined;
  return [[address, prefix, family]];
}

/** Whether `entry` is an IP address, a CIDR block or `loopback`. */
export function isTrustProxyEntry(entry: string): boolean {
  return subnetsOf(entry) !== undefined;
}

function familyOf(address: string): 'ipv4' | 'ipv6' | undefined {
  const version = isIP(address);
  return version === 4 ? 'ipv4' : version === 6 ? 'ipv6' : undefined;
}

/** A ProxyTrust for these entries (checked with isTrustProxyEntry; others are ignored). */
export function createProxyTrust(entries: readonly string[] = []): ProxyTrust {
  const trusted = new BlockList();
  for (const entry of entries) {
    for (const [address, prefix, family] of subnetsOf(entry) ?? []) {
      trusted.addSubnet(address, prefix, family);
    }
  }
  const isTrusted = (address: string | undefined): boolean => {
    const family = address === undefined ? undefined : familyOf(address);
    return family !== undefined && trusted.check(address as string, family);
  };
  const fromProxy = (req: IncomingMessage) =>
    entries.length > 0 && isTrusted(req.socket.remoteAddress);
  return {
    clientAddress(req) {
      const peer = req.socket.remoteAddress ?? '';
      if (!fromProxy(req)) return peer;
      // Each proxy appends who it heard from: the nearest untrusted hop is the client.
      const hops = headerList(req.headers['x-forwarded-for']).filter((hop) => familyOf(hop));
      for (let i = hops.length - 1; i >= 0; i--) {
        if (!isTrusted(hops[i])) return hops[i] as string;
      }
      return hops[0] ?? peer;
    },
    scheme(req) {
      const own: Scheme = (req.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http';
      if (!fromProxy(req)) return own;
      // The first value is what the outermost proxy saw.
      const claimed = headerList(req.headers['x-forwarded-proto'])[0]?.toLowerCase();
      return claimed === 'https' || claimed === 'http' ? claimed : own;
    },
  };
}

function headerList(value: string | string[] | undefined): string[] {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return joined
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}
