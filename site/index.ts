/** A site on disk: scanning, hashing, the manifest and its freshness, content types, path guards. */
export { isHiddenName, isHtmlFile } from './asset-types.js';
export { contentTypeFor } from './content-type.js';
export { errorReason } from './error-reason.js';
export { SiteError } from './errors.js';
export {
  type BuildOptions,
  type BuildProgress,
  type BuildResult,
  buildManifest,
  manifestPathOf,
} from './manifest-builder.js';
export { isInside } from './path-inside.js';
export { ensureSiteManifest } from './site-manifest.js';
export { resolveSiteRoot } from './site-root.js';
export { describeSkipped, type SkippedFile, type SkipReason } from './site-scan.js';
