import { NAVIGATOR_FEATURES, PAGE_FEATURE_GLOBALS, PATHS } from '../protocol/index.js';
import { escapeHtml } from './exchange.js';
import {
  BOOT_COOKIE,
  BOOTSTRAP_SKIP_HEADER,
  BOOTSTRAP_SKIP_PARAM,
  BOOTSTRAP_SKIP_VALUE,
} from './first-visit.js';
import { type RequestTarget, sameOriginPath } from './request-target.js';

/** How long the bootstrap waits for the new worker to take control before reloading anyway. */
export const WORKER_CONTROL_DEADLINE_MS = 3000;

/**
 * The bootstrap's script, ES5 so that any browser that can parse it reaches a real page. It
 * reloads only when the reload is sure to get the real page (the cookie was stored, or our
 * worker now controls the page and sends its navigation-preload header); otherwise it fetches
 * the real page with the skip header and writes it in place. So it can never loop. A page that
 * a worker controls already yet got the bootstrap (no preload header reached the server) is
 * not reloaded either: the reload would be answered the same. Line breaks are dropped when
 * sent, so the script holds no `//` comment.
 */
const SCRIPT_SOURCE = `(function () {
  var done = false;
  var cookieStored = /(?:^|;\\s*)${BOOT_COOKIE}=/.test(document.cookie);
  function realPage() {
    fetch(location.href, { headers: { ${JSON.stringify(BOOTSTRAP_SKIP_HEADER)}: ${JSON.stringify(BOOTSTRAP_SKIP_VALUE)} }, credentials: 'same-origin' })
      .then(function (r) { return r.text(); })
      .then(function (html) { document.open(); document.write(html); document.close(); },
        function () { document.body.textContent = 'This page could not be loaded. Please reload.'; });
  }
  function finish(controlled) {
    if (done) return;
    done = true;
    if (controlled || cookieStored) location.reload(); else realPage();
  }
  function lacks(o, names) { return names.some(function (n) { return o[n] == null; }); }
  if (lacks(window, ${JSON.stringify(PAGE_FEATURE_GLOBALS)}) || lacks(navigator, ${JSON.stringify(NAVIGATOR_FEATURES)})) return finish(false);
  var sw = navigator.serviceWorker;
  if (sw.controller) return realPage();
  setTimeout(function () { finish(!!sw.controller); }, ${WORKER_CONTROL_DEADLINE_MS});
  sw.addEventListener('controllerchange', function () { finish(true); });
  sw.register(${JSON.stringify(PATHS.serviceWorker)}, { scope: '/' }).catch(function () { finish(false); });
})();`;
const SCRIPT = SCRIPT_SOURCE.replace(/\n\s*/g, '');

/**
 * The document a first navigation gets instead of the page: no subresources (an empty icon
 * stops the browser's own `/favicon.ico` request, which no worker would see), not indexed, and
 * for clients without script a refresh to the same page with the skip parameter (not a plain
 * refresh: with cookies blocked too, that would loop).
 */
export function bootstrapPage(target: RequestTarget): string {
  const skip = `${BOOTSTRAP_SKIP_PARAM}=${BOOTSTRAP_SKIP_VALUE}`;
  const refreshUrl = `${sameOriginPath(target.urlPath)}${target.search ? `${target.search}&` : '?'}${skip}`;
  return (
    '<!doctype html><html><head><meta charset="utf-8"><meta name="robots" content="noindex">' +
    '<link rel="icon" href="data:,">' +
    `<noscript><meta http-equiv="refresh" content="0; url=${escapeHtml(refreshUrl)}"></noscript>` +
    `<title></title></head><body><script>${SCRIPT}</script></body></html>\n`
  );
}
