import { performance } from 'node:perf_hooks';
import { buildManifestFiles, MANIFEST_LIMITS, type ManifestAsset } from '../protocol/index.js';
import { contentTypeFor } from './content-type.js';
import { errorReason } from './error-reason.js';
import { SiteError } from './errors.js';
import { excludeFilter } from './exclude.js';
import { hashFile } from './file-hash.js';
import { manifestPathOf, writeRelease } from './manifest-writer.js';
import { releaseOf, type SiteRelease } from './site-release.js';
import { type ScannedAsset, type SkippedFile, scanSite } from './site-scan.js';

/** Files hashed at once: small files are bound by system calls, which overlap. */
const HASH_CONCURRENCY = 16;

export interface BuildProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface BuildOptions {
  /** Called after every read and every file, with one object updated in place. */
  onProgress?: (progress: BuildProgress) => void;
  /** Write a manifest with no assets instead of failing with 'no-assets' (serve wants this). */
  allowEmpty?: boolean;
  /** Globs of files never shared (`--exclude`): left out of the manifest, served by the origin. */
  exclude?: readonly string[];
}

export interface BuildResult {
  release: SiteRelease;
  manifestPath: string;
  files: number;
  bytes: number;
  durationMs: number;
  /**
   * Files left out, with why. Unreadable files are skipped rather than aborting the build: the
   * manifest still covers every asset that could be hashed (the rest is served by the origin
   * alone), and the CLI exits non-zero so the failure is not missed.
   */
  skipped: SkippedFile[];
}

/**
 * Scans a site, hashes its assets and writes the release: the root at
 * `<site>/peerconnect/manifest.json` and its shards under `<site>/peerconnect/shards/`.
 */
export async function buildManifest(
  siteDir: string,
  options: BuildOptions = {},
): Promise<BuildResult> {
  const started = performance.now();
  const scan = await scanSite(siteDir, excludeFilter(options.exclude));
  if (scan.assets.length > MANIFEST_LIMITS.maxAssets) {
    throw new SiteError(
      'too-many-assets',
      `${scan.assets.length} in ${scan.root}, the manifest holds at most ${MANIFEST_LIMITS.maxAssets}`,
    );
  }
  const progress: BuildProgress = {
    filesDone: 0,
    filesTotal: scan.assets.length,
    bytesDone: 0,
    bytesTotal: scan.assets.reduce((sum, asset) => sum + asset.size, 0),
  };
  const skipped = [...scan.skipped];
  const assets: ManifestAsset[] = [];
  const hashOne = async (scanned: ScannedAsset) => {
    try {
      const hashes = await hashFile(scanned.filePath, (bytes) => {
        progress.bytesDone += bytes;
        options.onProgress?.(progress);
      });
      assets.push({
        path: scanned.urlPath,
        size: hashes.size,
        type: contentTypeFor(scanned.relativePath),
        sha256: hashes.sha256,
        chunks: hashes.chunks,
      });
    } catch (err) {
      skipped.push({
        relativePath: scanned.relativePath,
        reason: 'unreadable',
        detail: errorReason(err),
      });
    }
    progress.filesDone++;
    options.onProgress?.(progress);
  };
  let next = 0;
  const worker = async () => {
    while (next < scan.assets.length) await hashOne(scan.assets[next++]!);
  };
  await Promise.all(Array.from({ length: HASH_CONCURRENCY }, worker));
  if (assets.length === 0 && !options.allowEmpty) {
    const note = skipped.length > 0 ? ` (${skipped.length} skipped)` : '';
    throw new SiteError(
      'no-assets',
      `${scan.root} has no images, fonts, styles, scripts, media or wasm files${note}`,
    );
  }
  const release = releaseOf(await buildManifestFiles(assets));
  await writeRelease(scan.root, release);
  return {
    release,
    manifestPath: manifestPathOf(scan.root),
    files: assets.length,
    bytes: assets.reduce((sum, asset) => sum + asset.size, 0),
    durationMs: performance.now() - started,
    skipped,
  };
}
