import picomatch from 'picomatch';
import { SiteError } from './errors.js';

/** Bounds on `--exclude`: a site owner's list, not a place for a whole ignore file. */
export const EXCLUDE_LIMITS = {
  maxPatterns: 256,
  maxPatternLength: 512,
} as const;

/** True for a site-relative path ('/'-separated, no leading '/') that stays out of the manifest. */
export type ExcludeFilter = (relativePath: string) => boolean;

const NOTHING_EXCLUDED: ExcludeFilter = () => false;

/**
 * Compiles `--exclude` globs, read as in .gitignore: a pattern with a '/' matches from the site
 * root (a leading '/' is optional), one without matches the file name in any directory.
 * `account/**` keeps a whole directory out, `*.private.jpg` every such file.
 */
export function excludeFilter(patterns: readonly string[] = []): ExcludeFilter {
  if (patterns.length === 0) return NOTHING_EXCLUDED;
  if (patterns.length > EXCLUDE_LIMITS.maxPatterns) {
    throw new SiteError('bad-exclude', `at most ${EXCLUDE_LIMITS.maxPatterns} patterns`);
  }
  const matchers = patterns.map((pattern) => {
    const glob = pattern.trim().replace(/^\/+/, '');
    if (glob === '' || pattern.length > EXCLUDE_LIMITS.maxPatternLength) {
      throw new SiteError(
        'bad-exclude',
        `'${pattern.slice(0, 64)}' must be a glob of 1..${EXCLUDE_LIMITS.maxPatternLength} characters`,
      );
    }
    return picomatch(glob, { basename: !glob.includes('/'), dot: true });
  });
  return (relativePath) => matchers.some((matches) => matches(relativePath));
}
