import { readFile, stat } from 'node:fs/promises';
import { type Manifest, parseAndVerifyManifest } from '../protocol/index.js';
import { errorReason } from './error-reason.js';
import { type BuildProgress, buildManifest, manifestPathOf } from './manifest-builder.js';
import { describeSkipped, scanSite } from './site-scan.js';

export interface SiteManifestOptions {
  log: (line: string) => void;
  onProgress?: (progress: BuildProgress) => void;
}

/**
 * The site's manifest, rebuilt first if it is missing, invalid or stale, so that `serve` never
 * publishes hashes of files that have changed since the last build.
 */
export async function ensureSiteManifest(
  siteRoot: string,
  options: SiteManifestOptions,
): Promise<Manifest> {
  const current = await readCurrentManifest(siteRoot);
  const reason = 'problem' in current ? current.problem : await staleness(siteRoot, current);
  if (reason === undefined && 'manifest' in current) return current.manifest;
  options.log(`peerconnect: building the manifest (${reason})`);
  const result = await buildManifest(siteRoot, {
    allowEmpty: true,
    onProgress: options.onProgress,
  });
  for (const skipped of result.skipped)
    options.log(`peerconnect: skipped ${describeSkipped(skipped)}`);
  return result.manifest;
}

type CurrentManifest = { manifest: Manifest; mtimeMs: number } | { problem: string };

async function readCurrentManifest(siteRoot: string): Promise<CurrentManifest> {
  const path = manifestPathOf(siteRoot);
  try {
    const { mtimeMs } = await stat(path);
    const manifest = await parseAndVerifyManifest(JSON.parse(await readFile(path, 'utf8')));
    return { manifest, mtimeMs };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      problem:
        code === 'ENOENT' ? 'there is none yet' : `the current one is invalid: ${errorReason(err)}`,
    };
  }
}

/** Why the manifest no longer describes the site, or undefined if it still does. */
async function staleness(
  siteRoot: string,
  current: { manifest: Manifest; mtimeMs: number },
): Promise<string | undefined> {
  const listed = new Map(current.manifest.assets.map((asset) => [asset.path, asset]));
  const { assets } = await scanSite(siteRoot);
  if (assets.length !== listed.size) return 'the set of assets changed';
  for (const asset of assets) {
    const entry = listed.get(asset.urlPath);
    if (!entry) return `${asset.relativePath} is new`;
    if (entry.size !== asset.size || asset.mtimeMs > current.mtimeMs) {
      return `${asset.relativePath} changed`;
    }
  }
  return undefined;
}
