import type { Registry } from 'prom-client';
import type { AgentSettings } from './agent-settings.js';
import type { FirstVisitMode } from './first-visit.js';
import type { OriginMetrics } from './origin-metrics.js';
import type { OwnerContext } from './owner-context.js';
import type { ProxyTrust } from './proxy-trust.js';
import type { SiteContext } from './release-source.js';

/** What the origin's routes share for the life of one server. */
export interface OriginContext {
  /** The site and its live release; undefined for a signaling-only server (no site files). */
  readonly site: SiteContext | undefined;
  readonly bundleDir: string;
  readonly inject: boolean;
  /** Written on the injected agent tag. */
  readonly agent: AgentSettings;
  readonly firstVisit: FirstVisitMode;
  readonly registry: Registry;
  readonly metrics: OriginMetrics;
  /** Beacons, dashboard and admin token. */
  readonly owner: OwnerContext;
  /** Whose X-Forwarded-For/-Proto to believe (client address, scheme). */
  readonly proxyTrust: ProxyTrust;
  /** `performance.now()` at start, for the uptime in healthz. */
  readonly startedAt: number;
  /** More for healthz to report (the signaling's Redis, when used). */
  readonly health?: () => Record<string, unknown>;
}
