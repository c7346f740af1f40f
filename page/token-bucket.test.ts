import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('lets the burst through at once, then paces at the rate', () => {
    let now = 0;
    const bucket = new TokenBucket(1000, 500, () => now);
    expect(bucket.reserve(500)).toBe(0);
    expect(bucket.reserve(100)).toBe(100);
    expect(bucket.reserve(100)).toBe(200);
    now = 200;
    expect(bucket.reserve(0)).toBe(0);
    expect(bucket.reserve(1)).toBe(1);
  });

  it('refills up to the burst, never past it', () => {
    let now = 0;
    const bucket = new TokenBucket(1000, 500, () => now);
    bucket.reserve(500);
    now = 60_000;
    expect(bucket.reserve(500)).toBe(0);
    expect(bucket.reserve(1000)).toBe(1000);
  });
});
