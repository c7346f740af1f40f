import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { DASHBOARD_PATHS, PATHS } from '../protocol/index.js';
import { findPackageRoot } from './package-root.js';

/** Where vite writes the browser bundles, inside the peerconnect package. */
const BROWSER_DIST = join('dist', 'browser');
/** File names vite.config.ts gives the bundles, and their source maps' suffix. */
const SW_FILE = 'peerconnect-sw.js';
const AGENT_FILE = 'agent.js';
const DASHBOARD_FILE = 'dashboard.js';
const MAP = '.map';

export interface Bundle {
  /** File name in the bundle directory. */
  readonly file: string;
  /** Missing bundles are a broken install (503); missing source maps just 404. */
  readonly required: boolean;
  readonly headers: Readonly<Record<string, string>>;
}

const NO_CACHE = { 'Cache-Control': 'no-cache' } as const;

/**
 * The browser bundles by URL path. The dashboard's is not required: a site is served without it
 * (its page then says to build it). All are `no-cache` (revalidated every time, cheap with
 * ETag) so a new release reaches every visitor at once; the worker may control the whole site.
 */
export const BUNDLES: ReadonlyMap<string, Bundle> = new Map<string, Bundle>([
  [
    PATHS.serviceWorker,
    { file: SW_FILE, required: true, headers: { ...NO_CACHE, 'Service-Worker-Allowed': '/' } },
  ],
  [PATHS.agent, { file: AGENT_FILE, required: true, headers: NO_CACHE }],
  [
    `${PATHS.serviceWorker}${MAP}`,
    { file: `${SW_FILE}${MAP}`, required: false, headers: NO_CACHE },
  ],
  [`${PATHS.agent}${MAP}`, { file: `${AGENT_FILE}${MAP}`, required: false, headers: NO_CACHE }],
  [DASHBOARD_PATHS.script, { file: DASHBOARD_FILE, required: false, headers: NO_CACHE }],
  [
    `${DASHBOARD_PATHS.script}${MAP}`,
    { file: `${DASHBOARD_FILE}${MAP}`, required: false, headers: NO_CACHE },
  ],
]);

export function defaultBundleDir(): string {
  return join(findPackageRoot(), BROWSER_DIST);
}

/** File names of the required bundles absent from `dir`. */
export async function missingBundles(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (const bundle of BUNDLES.values()) {
    if (!bundle.required) continue;
    try {
      await access(join(dir, bundle.file));
    } catch {
      missing.push(bundle.file);
    }
  }
  return missing;
}
