import { PATHS, parseManifestRoot } from '../protocol/index.js';
import { debug } from './log.js';

/**
 * The agent's side of the site owner's kill switch. The worker, on a root marked `disabled`,
 * tells every tab (pc:disable) and unregisters; each tab then closes its connections and
 * remembers it, so the next page neither registers the worker again nor offers
 * `window.peerconnect`. Only while stood down does a page check the root (in the background),
 * and the mark goes once the site publishes a root that is not disabled.
 */
export const DISABLED_KEY = 'peerconnect:disabled';

export function standDown(): void {
  try {
    localStorage.setItem(DISABLED_KEY, '1');
  } catch {
    // Storage blocked: the worker's own check of the root stands down the next page.
  }
}

export function stoodDown(): boolean {
  try {
    return localStorage.getItem(DISABLED_KEY) === '1';
  } catch {
    return false;
  }
}

/** Clears the mark if the root the origin serves now is not disabled; keeps it on any doubt. */
export async function recheckStandDown(fetchImpl: typeof fetch = fetch): Promise<void> {
  try {
    const response = await fetchImpl(PATHS.manifest, { cache: 'no-store' });
    if (!response.ok) return;
    const root = await parseManifestRoot(await response.json());
    if (root.disabled) return;
    localStorage.removeItem(DISABLED_KEY);
    debug('PeerConnect is back on from the next page');
  } catch (err) {
    debug('could not check whether PeerConnect is still disabled', err);
  }
}
