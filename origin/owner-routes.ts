import { DASHBOARD_PATHS, type DashboardData, PATHS } from '../protocol/index.js';
import { dashboardEntryPath, LOGIN_PARAM } from './admin-auth.js';
import { beaconRoute } from './beacon-route.js';
import { DASHBOARD_HEADERS, DASHBOARD_PAGE } from './dashboard-page.js';
import { type Exchange, sendError, sendText } from './exchange.js';
import type { OriginContext } from './origin-context.js';
import { READ_METHODS, type Route } from './route.js';

const NO_STORE = { 'Cache-Control': 'no-store' } as const;

/**
 * With `--admin-token`, whether the request carries it (bearer or session cookie); answers 401
 * when not. Without a token the owner's endpoints are open, as /metrics always was.
 */
function authorized(ex: Exchange, ctx: OriginContext): boolean {
  const auth = ctx.owner.auth;
  if (!auth || auth.allows(ex.req)) return true;
  sendError(
    ex,
    401,
    'This needs the admin token: open the one-time login link that peerconnect serve printed, ' +
      'or send Authorization: Bearer <token>.',
    { ...NO_STORE, 'WWW-Authenticate': 'Bearer realm="peerconnect"' },
  );
  return false;
}

const metrics: Route = {
  name: 'metrics',
  cors: false,
  methods: READ_METHODS,
  matches: (path) => path === PATHS.metrics,
  async handle(ex, _target, ctx) {
    if (!authorized(ex, ctx)) return;
    const text = await ctx.registry.metrics();
    sendText(ex, 200, ctx.registry.contentType, text, NO_STORE);
  },
};

/**
 * The dashboard page. `?login=<code>` trades the one-time code for the session cookie and
 * redirects to the bare URL (so the code leaves the address bar and history), then prints the
 * next link for the owner.
 */
const dashboard: Route = {
  name: 'dashboard',
  cors: false,
  methods: READ_METHODS,
  matches: (path) => path === DASHBOARD_PATHS.page,
  handle(ex, target, ctx) {
    const code = target.searchParams.get(LOGIN_PARAM);
    const auth = ctx.owner.auth;
    if (code !== null && auth) {
      const cookie = auth.redeem(code);
      if (cookie) {
        const next = `${ctx.proxyTrust.scheme(ex.req)}://${ex.req.headers.host}${dashboardEntryPath(auth)}`;
        ctx.owner.log(`peerconnect: dashboard login used; the next one-time link: ${next}`);
        ex.res.setHeader('Location', DASHBOARD_PATHS.page);
        return sendText(ex, 303, 'text/plain; charset=utf-8', 'Logged in.\n', {
          ...DASHBOARD_HEADERS,
          'Set-Cookie': cookie,
        });
      }
    }
    if (!authorized(ex, ctx)) return;
    sendText(ex, 200, 'text/html; charset=utf-8', DASHBOARD_PAGE, DASHBOARD_HEADERS);
  },
};

const dashboardData: Route = {
  name: 'dashboard-data',
  cors: false,
  methods: READ_METHODS,
  matches: (path) => path === DASHBOARD_PATHS.data,
  async handle(ex, _target, ctx) {
    if (!authorized(ex, ctx)) return;
    const { census, stats } = ctx.owner;
    const [peersOnline, swarms] = await Promise.all([census.peersOnline(), census.swarms()]);
    stats.recordPeersOnline(peersOnline);
    const data: DashboardData = { ...stats.snapshot(), live: { peersOnline, swarms } };
    sendText(ex, 200, 'application/json; charset=utf-8', JSON.stringify(data), {
      ...NO_STORE,
      'X-Content-Type-Options': 'nosniff',
    });
  },
};

/** The site owner's endpoints: no CORS, and behind the admin token when one is set. */
export const OWNER_ROUTES: readonly Route[] = [metrics, dashboard, dashboardData, beaconRoute];
