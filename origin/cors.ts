import type { Exchange } from './exchange.js';

/** How long browsers may cache a preflight answer. */
const PREFLIGHT_MAX_AGE_S = 86_400;
export const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';

/**
 * Any page may fetch from this origin, like a web seed: assets are public and carry no
 * credentials. Range responses must expose their headers, or a cross-origin resume cannot tell
 * which bytes it got.
 */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'Content-Range, Accept-Ranges, Content-Length, ETag',
};

/** Range (and If-Range, which a resume sends with it) are not CORS-safelisted headers. */
export function sendPreflight(ex: Exchange): void {
  ex.res.writeHead(204, {
    'Access-Control-Allow-Methods': ALLOWED_METHODS,
    'Access-Control-Allow-Headers': 'Range, If-Range',
    'Access-Control-Max-Age': String(PREFLIGHT_MAX_AGE_S),
    Allow: ALLOWED_METHODS,
  });
  ex.res.end();
}
