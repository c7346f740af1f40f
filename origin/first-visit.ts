import type { IncomingMessage } from 'node:http';

/**
 * First visit: a browser's first navigation to a page gets a tiny
 * bootstrap document that installs the service worker and reloads, so even the first page's
 * images go through the worker. Everything that is not surely a first navigation by a browser
 * able to run the bootstrap gets the real page.
 */
export type FirstVisitMode = 'bootstrap' | 'off';
export const FIRST_VISIT_MODES: readonly FirstVisitMode[] = ['bootstrap', 'off'];

/** Set by the bootstrap response: the next navigation (the reload) gets the real page. */
export const BOOT_COOKIE = 'peerconnect-boot';
const BOOT_COOKIE_MAX_AGE_S = 3600;
export const BOOT_COOKIE_HEADER = `${BOOT_COOKIE}=1; Path=/; Max-Age=${BOOT_COOKIE_MAX_AGE_S}; SameSite=Lax`;

/** Sent by the bootstrap when it can neither reload safely nor install a worker. */
export const BOOTSTRAP_SKIP_HEADER = 'X-PeerConnect-Bootstrap';
/** The same escape as a query parameter, for the no-script refresh (it cannot set headers). */
export const BOOTSTRAP_SKIP_PARAM = 'peerconnect-bootstrap';
export const BOOTSTRAP_SKIP_VALUE = 'skip';

/** Our service worker enables navigation preload, so every navigation it controls has this. */
const NAVIGATION_PRELOAD_HEADER = 'service-worker-navigation-preload';

/**
 * Crawlers and link-preview fetchers must see the real page (they would index or preview the
 * bootstrap). Headless Chromium is deliberately not listed: it is a real browser (our e2e tests).
 */
export const BOT_USER_AGENT =
  /bot|crawl|spider|slurp|preview|facebookexternalhit|embedly|lighthouse|pagespeed|whatsapp|ia_archiver/i;

/**
 * Every HTML page response, real or bootstrap, says it varies with these request headers, so
 * that a cache in front of `serve` (a CDN, a proxy, the browser's own) never answers a first
 * navigation with a real page it stored for a returning visitor, a worker's preload or a
 * fetch(): that visitor would miss the bootstrap. User-Agent, Accept and Sec-Fetch-Dest decide
 * too but are left out: keying a cache on them ruins its hit rate, and a mix-up on them can only
 * hand out the real page, which is always safe (the bootstrap is `no-store`: no cache holds it).
 */
export const FIRST_VISIT_VARY = 'Cookie, Service-Worker-Navigation-Preload, Sec-Fetch-Mode';

function hasCookie(header: string | undefined, name: string): boolean {
  return (header ?? '').split(';').some((pair) => pair.trim().startsWith(`${name}=`));
}

/**
 * Whether a request for an HTML page gets the bootstrap document: a browser's top-level GET
 * navigation, not made under our worker, not after a bootstrap already ran (cookie or skip),
 * not from a crawler, and asking for HTML.
 */
export function wantsBootstrap(req: IncomingMessage, searchParams: URLSearchParams): boolean {
  const h = req.headers;
  return (
    req.method === 'GET' &&
    h['sec-fetch-mode'] === 'navigate' &&
    h['sec-fetch-dest'] === 'document' &&
    h[NAVIGATION_PRELOAD_HEADER] === undefined &&
    !hasCookie(h.cookie, BOOT_COOKIE) &&
    h[BOOTSTRAP_SKIP_HEADER.toLowerCase()] !== BOOTSTRAP_SKIP_VALUE &&
    searchParams.get(BOOTSTRAP_SKIP_PARAM) !== BOOTSTRAP_SKIP_VALUE &&
    !BOT_USER_AGENT.test(h['user-agent'] ?? '') &&
    (h.accept ?? '').toLowerCase().includes('text/html')
  );
}
