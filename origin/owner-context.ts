import type { Registry } from 'prom-client';
import { AddressLimiter, type AddressLimits } from './address-limiter.js';
import { ADMIN_TOKEN_MIN_LENGTH, AdminAuth } from './admin-auth.js';
import { type ClientMetrics, createClientMetrics } from './client-metrics.js';
import type { LiveCensus } from './live-census.js';
import { OwnerConfigError } from './owner-errors.js';
import { StatsWindow } from './stats-window.js';

/**
 * Beacons per address: a visitor sends one per page hidden, so a few tabs closing at once is
 * a burst; an office behind one address shares it.
 */
export const BEACON_RATE: AddressLimits = { perSecond: 1, burst: 30, maxAddresses: 10_000 };
/** How often the peers-online series is sampled. */
const CENSUS_SAMPLE_MS = 10_000;

/** What the owner's endpoints (beacons, dashboard, metrics) share for the life of a server. */
export interface OwnerContext {
  readonly stats: StatsWindow;
  readonly clientMetrics: ClientMetrics;
  readonly beaconLimiter: AddressLimiter;
  /** Origins (scheme://host:port) besides the server's own whose pages may send beacons. */
  readonly beaconOrigins: ReadonlySet<string>;
  /**
   * Size of a manifest asset of the current release by URL path: what a beacon may claim.
   * Undefined for a signaling-only server, which does not know the site's assets: its beacons
   * are bounded by the beacon schema alone.
   */
  readonly assetSize: ((urlPath: string) => number | undefined) | undefined;
  /** Set with `--admin-token`: then the owner's endpoints need it. */
  readonly auth: AdminAuth | undefined;
  readonly census: LiveCensus;
  readonly log: (line: string) => void;
}

export interface OwnerOptions {
  registry: Registry;
  /** Looked up per beacon, so it follows every release swap; absent without a site. */
  assetSize?: (urlPath: string) => number | undefined;
  census: LiveCensus;
  log: (line: string) => void;
  adminToken?: string;
  allowedOrigins?: readonly string[];
}

/**
 * The owner's context, and a `close` that stops its census sampling. Throws OwnerConfigError
 * for a short admin token or an allowed origin that is not a URL.
 */
export function createOwnerContext(options: OwnerOptions): {
  owner: OwnerContext;
  close(): void;
} {
  const { adminToken } = options;
  if (adminToken !== undefined && adminToken.length < ADMIN_TOKEN_MIN_LENGTH) {
    throw new OwnerConfigError('weak-token');
  }
  const owner: OwnerContext = {
    stats: new StatsWindow(),
    clientMetrics: createClientMetrics(options.registry),
    beaconLimiter: new AddressLimiter(BEACON_RATE),
    beaconOrigins: new Set((options.allowedOrigins ?? []).map(originOf)),
    assetSize: options.assetSize,
    auth: adminToken === undefined ? undefined : new AdminAuth(adminToken),
    census: options.census,
    log: options.log,
  };
  const timer = setInterval(() => {
    // A failed read leaves the minute unsampled (a gap in the chart), nothing worse.
    owner.census.peersOnline().then(
      (peers) => owner.stats.recordPeersOnline(peers),
      () => {},
    );
  }, CENSUS_SAMPLE_MS);
  timer.unref();
  return { owner, close: () => clearInterval(timer) };
}

function originOf(text: string): string {
  const origin = URL.canParse(text) ? new URL(text).origin : 'null';
  // Only http(s) URLs have an origin; 'null' is what a page without one would send.
  if (origin === 'null') throw new OwnerConfigError('bad-origin', text);
  return origin;
}
