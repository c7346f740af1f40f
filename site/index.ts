/** A site on disk: scanning, hashing, the manifest release (root and shards) and its retention, content types, path guards. */
export { isHiddenName, isHtmlFile } from './asset-types.js';
export { contentTypeFor } from './content-type.js';
export { errorReason } from './error-reason.js';
export { SiteError } from './errors.js';
export { EXCLUDE_LIMITS, type ExcludeFilter, excludeFilter } from './exclude.js';
export {
  type BuildOptions,
  type BuildProgress,
  type BuildResult,
  buildManifest,
} from './manifest-builder.js';
export { manifestPathOf, shardsDirOf, writeRelease } from './manifest-writer.js';
export { isInside } from './path-inside.js';
export { RETAINED_RELEASES, releaseLogPath } from './release-log.js';
export { disabledRelease, releaseOf, type SiteRelease } from './site-release.js';
export { resolveSiteRoot } from './site-root.js';
export { describeSkipped, type SkippedFile, type SkipReason } from './site-scan.js';
