import type { Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isHiddenName, isInside } from '../site/index.js';
import { type RequestTarget, sameOriginPath } from './request-target.js';

const INDEX_FILE = 'index.html';
/** The one hidden directory a site may publish (RFC 8615: ACME challenges, security.txt ...). */
const WELL_KNOWN_DIR = '.well-known';

export type SiteFile =
  /** `name` is the requested file name (the link's, for a symlink): it decides the type. */
  | { kind: 'file'; filePath: string; name: string; stats: Stats }
  /** A directory asked for without its trailing slash. */
  | { kind: 'redirect'; location: string }
  | { kind: 'forbidden' }
  | { kind: 'not-found' };

/**
 * Maps a request to a file under the site root (a real path). Hidden names are not served
 * (.git, .env), a directory serves its index.html, and nothing outside the root is reached,
 * whether by '..' or by a symlink pointing out.
 */
export async function resolveSiteFile(root: string, target: RequestTarget): Promise<SiteFile> {
  const { segments } = target;
  if (segments.some((s) => isHiddenName(s) && s !== WELL_KNOWN_DIR)) return { kind: 'not-found' };
  const candidate = join(root, ...segments);
  // request-target already refuses '..' and encoded slashes; this holds even if that changes.
  if (!isInside(root, candidate)) return { kind: 'forbidden' };
  const found = await realFile(root, candidate);
  if (found.kind !== 'stats') return found;
  if (found.stats.isFile()) {
    return { kind: 'file', filePath: found.path, name: segments.at(-1) ?? '', stats: found.stats };
  }
  if (!found.stats.isDirectory()) return { kind: 'not-found' };
  if (!target.urlPath.endsWith('/')) {
    // Relative links in the index resolve against the directory only with the slash.
    return { kind: 'redirect', location: `${sameOriginPath(target.urlPath)}/${target.search}` };
  }
  const index = await realFile(root, join(found.path, INDEX_FILE));
  if (index.kind !== 'stats') return index;
  return index.stats.isFile()
    ? { kind: 'file', filePath: index.path, name: INDEX_FILE, stats: index.stats }
    : { kind: 'not-found' };
}

type RealFile = { kind: 'stats'; path: string; stats: Stats } | { kind: 'forbidden' | 'not-found' };

async function realFile(root: string, path: string): Promise<RealFile> {
  let real: string;
  let stats: Stats;
  try {
    real = await realpath(path);
    stats = await stat(real);
  } catch {
    return { kind: 'not-found' };
  }
  return isInside(root, real) ? { kind: 'stats', path: real, stats } : { kind: 'forbidden' };
}
