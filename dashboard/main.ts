import uplotCss from 'uplot/dist/uPlot.min.css?inline';
import { DASHBOARD_PATHS, type DashboardData, parseDashboardData } from '../protocol/index.js';
import dashboardCss from './dashboard.css?inline';
import { formatAge } from './format.js';
import { createView, type DashboardView } from './view.js';

/** How often the figures are fetched, and how old they may get before they are called stale. */
const POLL_MS = 5000;
const STALE_AFTER_MS = 3 * POLL_MS;
const STATUS_TICK_MS = 1000;
const DEFAULT_RANGE_MINUTES = 60;
const HTTP_UNAUTHORIZED = 401;

/**
 * The site owner's dashboard: polls the aggregates every few seconds and redraws. Polling, not
 * server-sent events: one small JSON answer, no connection held per open tab, and a bearer or
 * cookie check per request like every other owner endpoint.
 */
function main(): void {
  const style = document.createElement('style');
  style.textContent = uplotCss + dashboardCss;
  document.head.append(style);
  const root = document.getElementById('dashboard') ?? document.body;
  let range = DEFAULT_RANGE_MINUTES;
  let last: { data: DashboardData; at: number } | undefined;
  let signedOut = false;
  const view: DashboardView = createView(root, (minutes) => {
    range = minutes;
    if (last) view.update(last.data, range);
  });

  const poll = async () => {
    try {
      const response = await fetch(DASHBOARD_PATHS.data, { cache: 'no-store' });
      if (response.status === HTTP_UNAUTHORIZED) {
        // Polling again cannot help: only a new login link (or the token) can.
        signedOut = true;
        view.setStatus('unauthorized', 'signed out: open a new login link');
        return;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      last = { data: parseDashboardData(await response.json()), at: Date.now() };
      view.update(last.data, range);
      view.setStatus('live', 'live');
    } catch {
      view.setStatus('offline', last ? `offline · ${formatAge(Date.now() - last.at)}` : 'offline');
    }
    setTimeout(poll, POLL_MS);
  };
  setInterval(() => {
    if (!signedOut && last && Date.now() - last.at > STALE_AFTER_MS) {
      view.setStatus('stale', `updated ${formatAge(Date.now() - last.at)}`);
    }
  }, STATUS_TICK_MS);
  void poll();
}

main();
