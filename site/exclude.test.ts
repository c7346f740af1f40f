import { describe, expect, it } from 'vitest';
import { EXCLUDE_LIMITS, excludeFilter } from './exclude.js';

describe('excludeFilter', () => {
  it('matches a pattern with a slash from the site root, a leading slash or not', () => {
    for (const pattern of ['account/**', '/account/**']) {
      const excluded = excludeFilter([pattern]);
      expect(excluded('account/avatar.png')).toBe(true);
      expect(excluded('account/deep/bill.pdf.png')).toBe(true);
      expect(excluded('images/account/x.png')).toBe(false);
      expect(excluded('accounts/x.png')).toBe(false);
    }
  });

  it('matches a pattern without a slash against the file name in any directory', () => {
    const excluded = excludeFilter(['*.private.jpg']);
    expect(excluded('a.private.jpg')).toBe(true);
    expect(excluded('users/7/me.private.jpg')).toBe(true);
    expect(excluded('users/7/me.jpg')).toBe(false);
  });

  it('excludes what any of several patterns names, and nothing without patterns', () => {
    const excluded = excludeFilter(['*.psd.png', 'members/**']);
    expect(excluded('x/a.psd.png')).toBe(true);
    expect(excluded('members/a.css')).toBe(true);
    expect(excluded('public/a.css')).toBe(false);
    expect(excludeFilter([])('anything.png')).toBe(false);
  });

  it('refuses empty, overlong and too many patterns with a coded error', () => {
    for (const patterns of [
      [''],
      ['  '],
      ['x'.repeat(EXCLUDE_LIMITS.maxPatternLength + 1)],
      Array.from({ length: EXCLUDE_LIMITS.maxPatterns + 1 }, (_, i) => `d${i}/**`),
    ]) {
      expect(() => excludeFilter(patterns)).toThrow(
        expect.objectContaining({ code: 'bad-exclude' }),
      );
    }
  });
});
