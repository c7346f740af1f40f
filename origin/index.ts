/** The site's HTTP origin: static files, Range, conditional requests, injection, first visit. */
export { defaultBundleDir, missingBundles } from './bundles.js';
export {
  BOOT_COOKIE_HEADER,
  FIRST_VISIT_MODES,
  FIRST_VISIT_VARY,
  type FirstVisitMode,
} from './first-visit.js';
export { AGENT_SCRIPT_TAG } from './html-inject.js';
export type { OriginContext } from './origin-context.js';
export { handleOriginRequest } from './origin-handler.js';
export { createOriginMetrics, ORIGIN_METRIC_NAMES } from './origin-metrics.js';
export { findPackageRoot, packageVersion } from './package-root.js';
