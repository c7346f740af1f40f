import type { Dirent, Stats } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_LIMITS, OUTPUT_DIR } from '../protocol/index.js';
import { isAssetFile, isHiddenName } from './asset-types.js';
import { errorReason } from './error-reason.js';
import type { ExcludeFilter } from './exclude.js';
import { isInside } from './path-inside.js';
import { resolveSiteRoot } from './site-root.js';
import { urlPathFor } from './url-path.js';

export interface ScannedAsset {
  /** URL path the browser requests, as written in the manifest. */
  urlPath: string;
  /** Path relative to the site directory, '/'-separated, for messages. */
  relativePath: string;
  /** Real path of the file (symlinks resolved); always inside the site root. */
  filePath: string;
  size: number;
  mtimeMs: number;
}

/**
 * Why a file that looks like an asset was left out. `unreadable` is a failure (the build exits
 * non-zero); the others are refusals by policy, reported as warnings.
 */
export type SkipReason = 'unreadable' | 'symlink-outside' | 'not-a-file' | 'over-limit';

export interface SkippedFile {
  relativePath: string;
  reason: SkipReason;
  detail: string;
}

export interface SiteScan {
  /** Real path of the site directory. */
  root: string;
  /** Files the site owner keeps out of the manifest (private content): the origin alone serves them. */
  excluded: ExcludeFilter;
  /** Sorted by URL path. */
  assets: ScannedAsset[];
  skipped: SkippedFile[];
}

/**
 * Finds every asset of a site: files with an asset extension, outside hidden directories, the
 * site's own output directory and what `excluded` names. Symlinks are followed only while they
 * stay inside the site (the server refuses the others too). Reads no file content.
 */
export async function scanSite(
  siteDir: string,
  excluded: ExcludeFilter = () => false,
): Promise<SiteScan> {
  const root = await resolveSiteRoot(siteDir);
  const scan: SiteScan = { root, excluded, assets: [], skipped: [] };
  await walk(scan, root, [], new Set([root]));
  scan.assets.sort((a, b) => (a.urlPath < b.urlPath ? -1 : a.urlPath > b.urlPath ? 1 : 0));
  return scan;
}

/** `ancestors` holds the real paths of the directories being walked, to stop symlink loops. */
async function walk(
  scan: SiteScan,
  dir: string,
  segments: string[],
  ancestors: ReadonlySet<string>,
): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    skip(scan, segments, 'unreadable', errorReason(err));
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (isHiddenName(entry.name)) continue;
    if (segments.length === 0 && entry.name === OUTPUT_DIR) continue;
    const path = [...segments, entry.name];
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      await walk(scan, full, path, new Set([...ancestors, full]));
    } else if (entry.isSymbolicLink()) {
      await followSymlink(scan, full, path, ancestors);
    } else if (isAssetFile(entry.name)) {
      if (entry.isFile()) await addAsset(scan, full, path);
      else skip(scan, path, 'not-a-file', 'not a regular file');
    }
  }
}

async function followSymlink(
  scan: SiteScan,
  link: string,
  path: string[],
  ancestors: ReadonlySet<string>,
): Promise<void> {
  const name = path[path.length - 1] ?? '';
  let target: string;
  try {
    target = await realpath(link);
  } catch (err) {
    // A broken link to a non-asset name is not worth a failure.
    if (isAssetFile(name)) skip(scan, path, 'unreadable', `broken symlink: ${errorReason(err)}`);
    return;
  }
  if (!isInside(scan.root, target)) {
    skip(scan, path, 'symlink-outside', `symlink points outside the site, to ${target}`);
    return;
  }
  let info: Stats;
  try {
    info = await stat(target);
  } catch (err) {
    if (isAssetFile(name)) skip(scan, path, 'unreadable', errorReason(err));
    return;
  }
  if (info.isDirectory()) {
    if (!ancestors.has(target)) await walk(scan, target, path, new Set([...ancestors, target]));
  } else if (isAssetFile(name)) {
    if (info.isFile()) await addAsset(scan, target, path);
    else skip(scan, path, 'not-a-file', 'symlink to something that is not a regular file');
  }
}

async function addAsset(scan: SiteScan, filePath: string, path: string[]): Promise<void> {
  if (scan.excluded(path.join('/'))) return;
  let info: Stats;
  try {
    info = await stat(filePath);
  } catch (err) {
    skip(scan, path, 'unreadable', errorReason(err));
    return;
  }
  const urlPath = urlPathFor(path);
  if (info.size > MANIFEST_LIMITS.maxAssetSize) {
    skip(scan, path, 'over-limit', `${info.size} bytes is over the manifest's limit per asset`);
  } else if (urlPath.length > MANIFEST_LIMITS.maxPathLength) {
    skip(scan, path, 'over-limit', `URL path longer than ${MANIFEST_LIMITS.maxPathLength}`);
  } else {
    scan.assets.push({
      urlPath,
      relativePath: path.join('/'),
      filePath,
      size: info.size,
      mtimeMs: info.mtimeMs,
    });
  }
}

function skip(scan: SiteScan, path: string[], reason: SkipReason, detail: string): void {
  scan.skipped.push({ relativePath: path.join('/') || '.', reason, detail });
}

/** One line for a skipped file: "img/a.png: symlink points outside the site, to /etc/x". */
export function describeSkipped(skipped: SkippedFile): string {
  return `${skipped.relativePath}: ${skipped.detail}`;
}
