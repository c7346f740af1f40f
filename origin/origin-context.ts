import type { Registry } from 'prom-client';
import type { FirstVisitMode } from './first-visit.js';
import type { OriginMetrics } from './origin-metrics.js';
import type { OwnerContext } from './owner-context.js';
import type { ProxyTrust } from './proxy-trust.js';

/** What the origin's routes share for the life of one server. */
export interface OriginContext {
  /** Real path of the site directory. */
  readonly siteRoot: string;
  readonly manifestPath: string;
  readonly manifestVersion: string;
  /** URL paths listed in the manifest: requests for them count as kind "asset". */
  readonly assetPaths: ReadonlySet<string>;
  readonly bundleDir: string;
  readonly inject: boolean;
  readonly firstVisit: FirstVisitMode;
  readonly registry: Registry;
  readonly metrics: OriginMetrics;
  /** Beacons, dashboard and admin token. */
  readonly owner: OwnerContext;
  /** Whose X-Forwarded-For/-Proto to believe (client address, scheme). */
  readonly proxyTrust: ProxyTrust;
  /** `performance.now()` at start, for the uptime in healthz. */
  readonly startedAt: number;
}
