import { describe, expect, it } from 'vitest';
import { Prng } from './prng.js';

describe('Prng', () => {
  it('repeats its stream for a seed, and differs for another seed or fork', () => {
    const draw = (p: Prng) => Array.from({ length: 8 }, () => p.uint32());
    expect(draw(new Prng(42))).toEqual(draw(new Prng(42)));
    expect(draw(new Prng(42))).not.toEqual(draw(new Prng(43)));
    expect(draw(new Prng(42).fork(1))).toEqual(draw(new Prng(42).fork(1)));
    expect(draw(new Prng(42).fork(1))).not.toEqual(draw(new Prng(42).fork(2)));
  });

  it('stays in range and covers it', () => {
    const p = new Prng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const x = p.range(3, 9);
      expect(x).toBeGreaterThanOrEqual(3);
      expect(x).toBeLessThanOrEqual(9);
      seen.add(x);
      expect(p.float()).toBeLessThan(1);
    }
    expect(seen.size).toBe(7);
  });

  it('draws weighted keys in proportion, never a zero-weight one', () => {
    const p = new Prng(1);
    const counts = { a: 0, b: 0, never: 0 };
    for (let i = 0; i < 4000; i++) counts[p.weighted({ a: 3, b: 1, never: 0 })]++;
    expect(counts.never).toBe(0);
    expect(counts.a / counts.b).toBeGreaterThan(2);
    expect(counts.a / counts.b).toBeLessThan(4);
  });
});
