import { describe, expect, it } from 'vitest';
import { AddressLimiter, addressKey } from './address-limiter.js';

function limiter(maxAddresses = 100) {
  let now = 0;
  const limits = { perSecond: 2, burst: 3, maxAddresses };
  return {
    limiter: new AddressLimiter(limits, () => now),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('AddressLimiter', () => {
  it('lets a burst through, then the sustained rate, per address', () => {
    const { limiter: l, advance } = limiter();
    expect([1, 2, 3, 4].map(() => l.take('10.0.0.1'))).toEqual([true, true, true, false]);
    expect(l.take('10.0.0.2')).toBe(true);
    advance(500);
    expect(l.take('10.0.0.1')).toBe(true);
    expect(l.take('10.0.0.1')).toBe(false);
    advance(60_000);
    expect([1, 2, 3, 4].map(() => l.take('10.0.0.1'))).toEqual([true, true, true, false]);
  });

  it('holds at most maxAddresses buckets, forgetting the least recently seen', () => {
    const { limiter: l } = limiter(3);
    for (const address of ['a', 'b', 'c']) l.take(address);
    l.take('a');
    l.take('d');
    expect(l.trackedAddresses).toBe(3);
    // 'b' was forgotten (a fresh bucket), 'a' was not (two tokens left of three).
    expect([l.take('a'), l.take('a'), l.take('a')]).toEqual([true, false, false]);
    for (let i = 0; i < 10_000; i++) l.take(`10.1.${i >> 8}.${i & 255}`);
    expect(l.trackedAddresses).toBe(3);
  });

  it('treats an IPv6 /64 as one address', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('::ffff:10.0.0.1')).toBe('::ffff:10.0.0.1');
    expect(addressKey('10.0.0.1')).toBe('10.0.0.1');
  });
});
