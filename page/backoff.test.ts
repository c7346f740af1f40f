import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';
import { BACKOFF } from './config.js';

describe('backoffDelay', () => {
  it('doubles from the initial delay to the cap, jittered within the upper half', () => {
    expect(backoffDelay(0, () => 0)).toBe(BACKOFF.initialMs / 2);
    expect(backoffDelay(0, () => 1)).toBe(BACKOFF.initialMs);
    expect(backoffDelay(3, () => 1)).toBe(BACKOFF.initialMs * 8);
    expect(backoffDelay(50, () => 1)).toBe(BACKOFF.maxMs);
    expect(backoffDelay(50, () => 0)).toBe(BACKOFF.maxMs / 2);
  });
});
