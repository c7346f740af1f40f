import { describe, expect, it } from 'vitest';
import { ExpiringMap } from './expiring-map.js';

describe('ExpiringMap', () => {
  it('forgets entries ttlMs after they were set', () => {
    let now = 0;
    const map = new ExpiringMap<number>(10, 100, () => now);
    map.set('a', 1);
    now = 50;
    map.set('b', 2);
    expect([map.get('a'), map.get('b'), map.size]).toEqual([1, 2, 2]);
    now = 100;
    expect([map.get('a'), map.get('b'), map.size]).toEqual([undefined, 2, 1]);
    map.set('b', 3);
    now = 199;
    expect(map.get('b')).toBe(3);
    now = 200;
    expect(map.size).toBe(0);
  });

  it('holds at most capacity entries, forgetting the oldest set first', () => {
    const map = new ExpiringMap<number>(2, 1000, () => 0);
    map.set('a', 1);
    map.set('b', 2);
    map.set('a', 3);
    map.set('c', 4);
    expect([map.get('a'), map.get('b'), map.get('c'), map.size]).toEqual([3, undefined, 4, 2]);
    map.delete('a');
    expect(map.size).toBe(1);
  });
});
