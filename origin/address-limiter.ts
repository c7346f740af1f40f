import { isIPv6 } from 'node:net';

const MS_PER_SECOND = 1000;
/** An IPv6 host usually holds a whole /64: its first four groups are one address here. */
const IPV6_PREFIX_GROUPS = 4;
const IPV6_GROUPS = 8;
const HEX = 16;

export interface AddressLimits {
  /** Sustained events per second per address. */
  readonly perSecond: number;
  /** Events an address may send at once (a few tabs closing together). */
  readonly burst: number;
  /** Addresses tracked at once; the least recently seen is forgotten first. */
  readonly maxAddresses: number;
}

interface Bucket {
  tokens: number;
  last: number;
}

/**
 * A token bucket per client address, in a map of bounded size: a flood from many addresses
 * costs at most `maxAddresses` buckets. A forgotten address starts again with a full bucket,
 * which only ever lets through `burst` more events.
 */
export class AddressLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limits: AddressLimits,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get trackedAddresses(): number {
    return this.buckets.size;
  }

  /** Takes one token for `address`; false when its bucket is empty (refuse the event). */
  take(address: string): boolean {
    const key = addressKey(address);
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.limits.burst, last: now };
    // Re-inserting keeps the map in least-recently-seen order.
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.limits.maxAddresses) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    const elapsed = (now - bucket.last) / MS_PER_SECOND;
    bucket.tokens = Math.min(this.limits.burst, bucket.tokens + elapsed * this.limits.perSecond);
    bucket.last = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

/** IPv4 (and IPv4-mapped IPv6) as is, IPv6 by its /64. */
export function addressKey(address: string): string {
  if (!isIPv6(address) || address.startsWith('::ffff:')) return address;
  const [head = '', tail = ''] = (address.split('%')[0] ?? '').split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = IPV6_GROUPS - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(Math.max(missing, 0)).fill('0'), ...tailGroups];
  const prefix = groups
    .slice(0, IPV6_PREFIX_GROUPS)
    .map((g) => Number.parseInt(g, HEX).toString(HEX));
  return `${prefix.join(':')}::/64`;
}
