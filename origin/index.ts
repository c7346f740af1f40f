/**
 * The site's HTTP origin: static files, Range, conditional requests, injection, first visit,
 * and the owner's endpoints (metrics, stats beacons, dashboard).
 */
export { dashboardEntryPath } from './admin-auth.js';
export {
  type AgentSettings,
  agentAttributes,
  DEFAULT_UPLOAD_BUDGET,
} from './agent-settings.js';
export { defaultBundleDir, missingBundles } from './bundles.js';
export { CLIENT_METRIC_NAMES } from './client-metrics.js';
export {
  BOOT_COOKIE_HEADER,
  FIRST_VISIT_MODES,
  FIRST_VISIT_VARY,
  type FirstVisitMode,
} from './first-visit.js';
export { AGENT_SCRIPT_TAG, agentScriptTag } from './html-inject.js';
export { censusFromGauges } from './live-census.js';
export type { OriginContext } from './origin-context.js';
export { handleOriginRequest } from './origin-handler.js';
export { createOriginMetrics, ORIGIN_METRIC_NAMES } from './origin-metrics.js';
export { createOwnerContext } from './owner-context.js';
export { findPackageRoot, packageVersion } from './package-root.js';
export {
  createProxyTrust,
  isTrustProxyEntry,
  LOOPBACK_KEYWORD,
  type ProxyTrust,
} from './proxy-trust.js';
export type { ReleaseSource, SiteContext } from './release-source.js';
export { assetEtag, STALE_RETRY_AFTER_S, sendVerifiedAsset } from './verified-asset.js';
