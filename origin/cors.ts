import { RELEASE_HEADER } from '../protocol/index.js';
import type { Exchange } from './exchange.js';

/** How long browsers may cache a preflight answer. */
const PREFLIGHT_MAX_AGE_S = 86_400;

/**
 * Any page may fetch the site's files from this origin, like a web seed: assets are public and
 * carry no credentials. Range responses must expose their headers, or a cross-origin resume
 * cannot tell which bytes it got.
 */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': `Content-Range, Accept-Ranges, Content-Length, ETag, ${RELEASE_HEADER}`,
};

/**
 * Range (and If-Range, which a resume sends with it) are not CORS-safelisted headers. A route
 * without CORS answers OPTIONS with its methods only, so a cross-origin preflight fails.
 */
export function sendPreflight(ex: Exchange, cors: boolean, allow: string): void {
  const headers: Record<string, string> = { Allow: allow };
  if (cors) {
    headers['Access-Control-Allow-Methods'] = allow;
    headers['Access-Control-Allow-Headers'] = 'Range, If-Range';
    headers['Access-Control-Max-Age'] = String(PREFLIGHT_MAX_AGE_S);
  }
  ex.res.writeHead(204, headers);
  ex.res.end();
}
