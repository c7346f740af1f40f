import { TokenBucket } from './rate-limiter.js';
import { SIGNAL_SERVER_LIMITS as LIMITS } from './signal-limits.js';

/** What one client address (addressKey) has open and announced, shared by its connections. */
export interface AddressAccount {
  readonly key: string;
  /** Content ids its connections have announced together. */
  announced: number;
}

interface Entry extends AddressAccount {
  open: number;
  readonly connects: TokenBucket;
}

/**
 * Per-address caps on connections open at once and opened per minute, and the account of
 * what each address announced. An address is forgotten once it has no connection and its
 * rate bucket has refilled (swept every addressSweepMs), so the table holds the addresses
 * connected now and those that connected in about the last minute.
 */
export class AddressLimits {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Addresses tracked. */
  get size(): number {
    return this.entries.size;
  }

  /** Counts a new connection from `key`, or says why it is refused. */
  admit(key: string): AddressAccount | 'address-connections' | 'address-rate' {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = {
        key,
        announced: 0,
        open: 0,
        connects: new TokenBucket(
          LIMITS.connectionsPerAddressPerMinute / 60,
          LIMITS.connectionBurstPerAddress,
          this.now,
        ),
      };
      this.entries.set(key, entry);
    }
    if (entry.open >= LIMITS.maxConnectionsPerAddress) return 'address-connections';
    if (!entry.connects.take()) return 'address-rate';
    entry.open++;
    return entry;
  }

  /** A connection admitted for `account` has closed. */
  release(account: AddressAccount): void {
    const entry = this.entries.get(account.key);
    if (entry === account) entry.open--;
  }

  /** Drops the addresses that no longer limit anything. */
  sweep(): void {
    for (const [key, entry] of this.entries) {
      if (entry.open === 0 && entry.connects.isFull()) this.entries.delete(key);
    }
  }
}
