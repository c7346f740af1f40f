import { describe, expect, it } from 'vitest';
import { type AddressAccount, AddressLimits } from './address-limits.js';
import { SIGNAL_SERVER_LIMITS as LIMITS } from './signal-limits.js';

describe('AddressLimits', () => {
  it('caps connections open at once per address, and frees a slot on release', () => {
    const limits = new AddressLimits(() => 0);
    const open: AddressAccount[] = [];
    for (let i = 0; i < LIMITS.maxConnectionsPerAddress; i++) {
      const admitted = limits.admit('a');
      if (typeof admitted === 'string') throw new Error(admitted);
      open.push(admitted);
    }
    expect(limits.admit('a')).toBe('address-connections');
    expect(typeof limits.admit('b')).toBe('object');
    limits.release(open[0] as AddressAccount);
    expect(typeof limits.admit('a')).toBe('object');
  });

  it('caps connections opened per minute per address, then lets them in again', () => {
    let now = 0;
    const limits = new AddressLimits(() => now);
    for (let i = 0; i < LIMITS.connectionBurstPerAddress; i++) {
      const admitted = limits.admit('a');
      if (typeof admitted === 'string') throw new Error(`${i}: ${admitted}`);
      limits.release(admitted);
    }
    expect(limits.admit('a')).toBe('address-rate');
    now += 60_000 / LIMITS.connectionsPerAddressPerMinute;
    expect(typeof limits.admit('a')).toBe('object');
  });

  it('forgets an address once it has no connection and its bucket is full', () => {
    let now = 0;
    const limits = new AddressLimits(() => now);
    const a = limits.admit('a') as AddressAccount;
    limits.admit('b');
    limits.sweep();
    expect(limits.size).toBe(2);
    limits.release(a);
    limits.sweep();
    expect(limits.size).toBe(2);
    now += 60_000;
    limits.sweep();
    expect(limits.size).toBe(1);
  });
});
