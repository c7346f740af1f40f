import { describe, expect, it } from 'vitest';
import { sampleIndexes } from './random-sample.js';

const TRIALS = 20_000;

describe('sampleIndexes', () => {
  it('returns min(k, n) distinct indexes in range', () => {
    expect(sampleIndexes(0, 5)).toEqual([]);
    expect(sampleIndexes(3, 0)).toEqual([]);
    expect(sampleIndexes(3, 8).sort()).toEqual([0, 1, 2]);
    for (let i = 0; i < 100; i++) {
      const sample = sampleIndexes(1_000_000, 8);
      expect(new Set(sample).size).toBe(8);
      for (const x of sample) expect(x >= 0 && x < 1_000_000 && Number.isInteger(x)).toBe(true);
    }
  });

  it('picks every index about equally often, first place included', () => {
    const n = 10;
    const k = 3;
    const anywhere = new Array<number>(n).fill(0);
    const first = new Array<number>(n).fill(0);
    for (let i = 0; i < TRIALS; i++) {
      const sample = sampleIndexes(n, k);
      for (const x of sample) anywhere[x] = (anywhere[x] ?? 0) + 1;
      const head = sample[0] as number;
      first[head] = (first[head] ?? 0) + 1;
    }
    // Expected TRIALS*k/n = 6000 and TRIALS/n = 2000; ±15 % is far outside random noise.
    for (const count of anywhere) expect(Math.abs(count - (TRIALS * k) / n)).toBeLessThan(900);
    for (const count of first) expect(Math.abs(count - TRIALS / n)).toBeLessThan(300);
  });
});
