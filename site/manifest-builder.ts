import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  createManifest,
  MANIFEST_FILE,
  MANIFEST_LIMITS,
  type Manifest,
  type ManifestAsset,
  OUTPUT_DIR,
} from '../protocol/index.js';
import { writeFileAtomic } from './atomic-write.js';
import { contentTypeFor } from './content-type.js';
import { errorReason } from './error-reason.js';
import { SiteError } from './errors.js';
import { hashFile } from './file-hash.js';
import { type SkippedFile, scanSite } from './site-scan.js';

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
}

export interface BuildResult {
  manifest: Manifest;
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

export function manifestPathOf(siteDir: string): string {
  return join(siteDir, OUTPUT_DIR, MANIFEST_FILE);
}

/** Scans a site, hashes its assets and writes `<site>/peerconnect/manifest.json` atomically. */
export async function buildManifest(
  siteDir: string,
  options: BuildOptions = {},
): Promise<BuildResult> {
  const started = performance.now();
  const scan = await scanSite(siteDir);
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
  for (const scanned of scan.assets) {
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
  }
  if (assets.length === 0 && !options.allowEmpty) {
    const note = skipped.length > 0 ? ` (${skipped.length} skipped)` : '';
    throw new SiteError(
      'no-assets',
      `${scan.root} has no images, fonts, styles, scripts, media or wasm files${note}`,
    );
  }
  const manifest = await createManifest(assets);
  const manifestPath = manifestPathOf(scan.root);
  try {
    await mkdir(join(scan.root, OUTPUT_DIR), { recursive: true });
    await writeFileAtomic(manifestPath, JSON.stringify(manifest));
  } catch (err) {
    throw new SiteError('manifest-write-failed', `${manifestPath}: ${errorReason(err)}`);
  }
  return {
    manifest,
    manifestPath,
    files: assets.length,
    bytes: assets.reduce((sum, asset) => sum + asset.size, 0),
    durationMs: performance.now() - started,
    skipped,
  };
}
