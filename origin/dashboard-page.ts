import { DASHBOARD_PATHS, PATHS } from '../protocol/index.js';

/**
 * The dashboard document: a shell the dashboard bundle fills in. The text inside <main> stays
 * only if the bundle never runs, so it says what to do about that.
 */
export const DASHBOARD_PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
  '<meta name="viewport" content="width=device-width, initial-scale=1">' +
  '<meta name="robots" content="noindex"><link rel="icon" href="data:,">' +
  '<title>PeerConnect dashboard</title>' +
  `<script src="${DASHBOARD_PATHS.script}" defer></script></head>` +
  '<body><main id="dashboard"><p>Loading the dashboard… If this stays, its script is missing: ' +
  'run <code>npm run build</code>. The same figures are at ' +
  `<a href="${PATHS.metrics}">${PATHS.metrics}</a>.</p></main></body></html>\n`;

/**
 * Only our own script and requests; styles may be inline because the bundle injects its CSS.
 * No framing (clickjacking), no referrer (the login link carries a code).
 */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
    "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; " +
    "frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};
