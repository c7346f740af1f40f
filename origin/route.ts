import type { Exchange } from './exchange.js';
import type { OriginContext } from './origin-context.js';
import type { RequestTarget } from './request-target.js';

/** GET routes answer HEAD too. */
export const READ_METHODS: readonly string[] = ['GET', 'HEAD'];

/** One kind of request the origin answers; the first route that matches a path handles it. */
export interface Route {
  readonly name: string;
  /**
   * Whether any page may read the answer (CORS), like a web seed: the site's files, the
   * manifest, the bundles. The owner's endpoints (metrics, dashboard, healthz, beacons) send
   * none, so another site's script cannot read them in a visitor's browser.
   */
  readonly cors: boolean;
  /** Methods answered besides OPTIONS; others get 405. */
  readonly methods: readonly string[];
  matches(urlPath: string): boolean;
  handle(ex: Exchange, target: RequestTarget, ctx: OriginContext): Promise<void> | void;
}
