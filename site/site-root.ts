import type { Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SiteError } from './errors.js';

/** The real path of a site directory, or SiteError('site-missing' | 'site-not-directory'). */
export async function resolveSiteRoot(siteDir: string): Promise<string> {
  const absolute = resolve(siteDir);
  let info: Stats;
  try {
    info = await stat(absolute);
  } catch {
    throw new SiteError('site-missing', absolute);
  }
  if (!info.isDirectory()) throw new SiteError('site-not-directory', absolute);
  return realpath(absolute);
}
