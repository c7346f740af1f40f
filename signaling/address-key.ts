import { isIPv4, isIPv6 } from 'node:net';

/** Hextets of an IPv6 address kept: a /64, the smallest block handed to one subscriber. */
const IPV6_PREFIX_HEXTETS = 4;
const IPV4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/**
 * The key per-address limits count a client under: an IPv4 address as it is, an IPv6 address
 * by its /64. One IPv6 customer (a home, a phone, a cloud VM) is given a /64 at least and may
 * use any of its 2^64 addresses, so counting per /128 would cap nothing; a /64 is what a
 * single IPv4 address behind NAT is. Anything else (a unix socket, no address) is one key.
 */
export function addressKey(address: string): string {
  const mapped = IPV4_MAPPED.exec(address)?.[1];
  if (mapped !== undefined && isIPv4(mapped)) return mapped;
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return 'unknown';
  return `${expandIPv6(address).slice(0, IPV6_PREFIX_HEXTETS).join(':')}::/64`;
}

/** The eight hextets of a valid IPv6 address, lowercase and without leading zeros. */
function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.toLowerCase().split('%', 1)[0]?.split('::') ?? [];
  const parts = (text: string | undefined) =>
    text
      ? text.split(':').flatMap((part) => (part.includes('.') ? ipv4Hextets(part) : [part]))
      : [];
  const left = parts(head);
  const right = parts(tail);
  const zeros = Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...(tail === undefined ? [] : zeros), ...right].map((h) =>
    Number.parseInt(h, 16).toString(16),
  );
}

function ipv4Hextets(dotted: string): string[] {
  const [a = 0, b = 0, c = 0, d = 0] = dotted.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}
