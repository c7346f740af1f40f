import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BEACON_FORMAT,
  BEACON_LIMITS,
  BEACON_PATH,
  type Beacon,
  DASHBOARD_PATHS,
  PATHS,
  parseDashboardData,
} from '../protocol/index.js';
import { buildManifest } from '../site/index.js';
import { makeTempSite, metricSum, rawRequest } from '../testing/index.js';
import { ADMIN_COOKIE, dashboardEntryPath } from './admin-auth.js';
import { CLIENT_METRIC_NAMES } from './client-metrics.js';
import type { OriginContext } from './origin-context.js';
import { handleOriginRequest } from './origin-handler.js';
import { createOriginMetrics } from './origin-metrics.js';
import { BEACON_RATE, createOwnerContext } from './owner-context.js';
import { createProxyTrust } from './proxy-trust.js';

const IMAGE = 'i'.repeat(1000);
const FILES = { 'index.html': '<p>home</p>', 'a.jpg': IMAGE, 'b.css': 'body{}' };
const TOKEN = 'a-long-enough-admin-token';
const ELSEWHERE = 'https://blog.example';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Owner {
  port: number;
  origin: string;
  logs: string[];
  /** The dashboard link server.ts prints: with a token, the one-time login link. */
  entryPath(): string;
  send(
    path: string,
    options?: { method?: string; headers?: Record<string, string>; body?: string },
  ): Promise<Reply>;
  beacon(body: unknown, headers?: Record<string, string>): Promise<Reply>;
  figures(): Promise<string>;
}

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of closers) await close();
});

/** The origin's handler on a real socket, with the owner's context as the server builds it. */
async function startOwner(
  options: { adminToken?: string; trustProxy?: string[] } = {},
): Promise<Owner> {
  const site = await makeTempSite(FILES);
  const { release } = await buildManifest(site.dir);
  const registry = new Registry();
  const logs: string[] = [];
  const owner = createOwnerContext({
    registry,
    assetSize: (path) => release.assets.get(path)?.size,
    log: (line) => logs.push(line),
    census: { peersOnline: async () => 2, swarms: async () => 1 },
    allowedOrigins: [ELSEWHERE],
    ...options,
  });
  const ctx: OriginContext = {
    site: { root: site.dir, release: { current: () => release, reportStale: () => {} } },
    bundleDir: site.outside,
    inject: false,
    agent: {},
    firstVisit: 'off',
    registry,
    metrics: createOriginMetrics(registry),
    owner: owner.owner,
    proxyTrust: createProxyTrust(options.trustProxy),
    startedAt: performance.now(),
  };
  const server = createServer((req, res) => void handleOriginRequest(req, res, ctx));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  closers.push(async () => {
    owner.close();
    await new Promise((resolve) => server.close(resolve));
    await site.cleanup();
  });
  const origin = `http://127.0.0.1:${port}`;
  const send: Owner['send'] = (path, options = {}) => rawRequest(port, path, options);
  const bearer: Record<string, string> = options.adminToken
    ? { Authorization: `Bearer ${options.adminToken}` }
    : {};
  return {
    port,
    origin,
    logs,
    entryPath: () => dashboardEntryPath(owner.owner.auth),
    send,
    beacon: (body, headers = {}) =>
      send(BEACON_PATH, {
        method: 'POST',
        headers: { Origin: origin, 'Content-Type': 'text/plain;charset=UTF-8', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    /** Every client figure: the dashboard's totals and the client metrics. */
    async figures() {
      const data = parseDashboardData(
        JSON.parse((await send(DASHBOARD_PATHS.data, { headers: bearer })).body),
      );
      const metrics = (await send(PATHS.metrics, { headers: bearer })).body;
      const clientLines = metrics
        .split('\n')
        .filter(
          (line) => line.startsWith('peerconnect_client_') && !line.includes('beacons_total'),
        );
      return JSON.stringify({ totals: data.totals, top: data.topAssets, clientLines });
    },
  };
}

const GOOD: Beacon = {
  format: BEACON_FORMAT,
  assets: [
    { path: '/a.jpg', peer: 1000, origin: 0, cache: 0 },
    { path: '/b.css', peer: 0, origin: 6, cache: 0 },
  ],
  ttfb: { peer: [20], origin: [40], cache: [] },
  leader: { uploaded: 1000, peers: 1, dialFailures: 0 },
};

describe('stats beacons', () => {
  it('accepts a good beacon and shows it on the dashboard and in the metrics', async () => {
    const owner = await startOwner();
    const res = await owner.beacon(GOOD);
    expect(res.status).toBe(204);
    const data = parseDashboardData(JSON.parse((await owner.send(DASHBOARD_PATHS.data)).body));
    expect(data.totals).toMatchObject({ peer: 1000, origin: 6, uploaded: 1000, beacons: 1 });
    expect(data.topAssets).toEqual([{ path: '/a.jpg', peer: 1000, origin: 0 }]);
    expect(data.live).toEqual({ peersOnline: 2, swarms: 1 });
    expect(data.ttfbMs).toEqual({ peer: 20, origin: 40, cache: null });
    const metrics = (await owner.send(PATHS.metrics)).body;
    expect(metricSum(metrics, CLIENT_METRIC_NAMES.bytes, { source: 'peer' })).toBe(1000);
    expect(metricSum(metrics, CLIENT_METRIC_NAMES.bytes, { source: 'origin' })).toBe(6);
    expect(metricSum(metrics, CLIENT_METRIC_NAMES.uploaded)).toBe(1000);
    expect(metricSum(metrics, CLIENT_METRIC_NAMES.offload)).toBeCloseTo(1000 / 1006);
    expect(metricSum(metrics, CLIENT_METRIC_NAMES.beacons, { result: 'accepted' })).toBe(1);
  });

  it('accepts beacons from an allowed origin, refuses others and beacons without one', async () => {
    const owner = await startOwner();
    expect((await owner.beacon(GOOD, { Origin: ELSEWHERE })).status).toBe(204);
    const before = await owner.figures();
    expect((await owner.beacon(GOOD, { Origin: 'https://evil.example' })).status).toBe(403);
    expect((await owner.beacon(GOOD, { Origin: 'null' })).status).toBe(403);
    const noOrigin = await owner.send(BEACON_PATH, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify(GOOD),
    });
    expect(noOrigin.status).toBe(403);
    expect(await owner.figures()).toBe(before);
  });

  it.each([
    ['not JSON', '{"format":1,', 400],
    ['the wrong shape', { ...GOOD, assets: 'all' }, 400],
    ['a negative count', { ...GOOD, leader: { uploaded: -5, peers: 0, dialFailures: 0 } }, 400],
    [
      'a fractional count',
      { ...GOOD, assets: [{ path: '/a.jpg', peer: 0.5, origin: 0, cache: 0 }] },
      400,
    ],
    ['a page URL', { ...GOOD, url: 'https://site/private?q=1' }, 400],
    [
      'an unknown asset path',
      { ...GOOD, assets: [{ path: '/index.html', peer: 1, origin: 0, cache: 0 }] },
      422,
    ],
    [
      'more bytes than the asset',
      {
        ...GOOD,
        assets: [
          { path: '/a.jpg', peer: 1000 * BEACON_LIMITS.maxLoadsPerAsset + 1, origin: 0, cache: 0 },
        ],
      },
      422,
    ],
  ])('refuses a beacon with %s, and changes no figure', async (_name, body, status) => {
    const owner = await startOwner();
    expect((await owner.beacon(GOOD)).status).toBe(204);
    const before = await owner.figures();
    const res = await owner.beacon(body);
    expect(res.status).toBe(status);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(await owner.figures()).toBe(before);
  });

  it('refuses an oversized beacon with 413, by length or as it streams, and other types', async () => {
    const owner = await startOwner();
    const before = await owner.figures();
    const padded = JSON.stringify({ ...GOOD, pad: 'x'.repeat(BEACON_LIMITS.maxBytes) });
    expect((await owner.beacon(padded)).status).toBe(413);
    const chunked = await owner.beacon(padded, { 'Transfer-Encoding': 'chunked' });
    expect(chunked.status).toBe(413);
    expect(
      (await owner.beacon(GOOD, { 'Content-Type': 'application/x-www-form-urlencoded' })).status,
    ).toBe(415);
    expect(await owner.figures()).toBe(before);
    const metrics = (await owner.send(PATHS.metrics)).body;
    expect(metricSum(metrics, CLIENT_METRIC_NAMES.beacons, { result: 'too-large' })).toBe(2);
  });

  it('rate limits a flood from one address with 429, counting only what it let through', async () => {
    const owner = await startOwner();
    const one: Beacon = { ...GOOD, assets: [{ path: '/b.css', peer: 1, origin: 0, cache: 0 }] };
    const statuses: number[] = [];
    for (let i = 0; i < BEACON_RATE.burst + 20; i++)
      statuses.push((await owner.beacon(one)).status);
    const accepted = statuses.filter((s) => s === 204).length;
    expect(accepted).toBeGreaterThanOrEqual(BEACON_RATE.burst);
    expect(accepted).toBeLessThan(BEACON_RATE.burst + 5);
    expect(statuses.filter((s) => s === 429).length).toBe(statuses.length - accepted);
    const data = parseDashboardData(JSON.parse((await owner.send(DASHBOARD_PATHS.data)).body));
    expect(data.totals.peer).toBe(accepted);
    expect(data.totals.beacons).toBe(accepted);
  });

  it('limits per forwarded client behind a trusted proxy, and per connection otherwise', async () => {
    const one: Beacon = { ...GOOD, assets: [{ path: '/b.css', peer: 1, origin: 0, cache: 0 }] };
    const drain = async (owner: Owner, client: string) => {
      const statuses: number[] = [];
      for (let i = 0; i < BEACON_RATE.burst + 5; i++)
        statuses.push((await owner.beacon(one, { 'X-Forwarded-For': client })).status);
      return statuses;
    };
    const proxied = await startOwner({ trustProxy: ['loopback'] });
    expect(await drain(proxied, '198.51.100.1')).toContain(429);
    expect((await proxied.beacon(one, { 'X-Forwarded-For': '198.51.100.2' })).status).toBe(204);

    const direct = await startOwner({ trustProxy: ['10.0.0.0/8'] });
    expect(await drain(direct, '198.51.100.1')).toContain(429);
    expect((await direct.beacon(one, { 'X-Forwarded-For': '198.51.100.2' })).status).toBe(429);
  });
});

describe('owner endpoints', () => {
  it('send no CORS headers, while the site files keep them', async () => {
    const owner = await startOwner();
    const cross = { Origin: ELSEWHERE };
    for (const path of [PATHS.metrics, PATHS.healthz, DASHBOARD_PATHS.page, DASHBOARD_PATHS.data]) {
      const res = await owner.send(path, { headers: cross });
      expect(res.status, path).toBe(200);
      expect(res.headers['access-control-allow-origin'], path).toBeUndefined();
      const preflight = await owner.send(path, {
        method: 'OPTIONS',
        headers: { ...cross, 'Access-Control-Request-Method': 'GET' },
      });
      expect(preflight.headers['access-control-allow-origin'], path).toBeUndefined();
    }
    const asset = await owner.send('/a.jpg', { headers: { ...cross, Range: 'bytes=0-9' } });
    expect(asset.status).toBe(206);
    expect(asset.headers['access-control-allow-origin']).toBe('*');
    expect((await owner.send(PATHS.manifest)).headers['access-control-allow-origin']).toBe('*');
  });

  it('serve a dashboard page that runs only its own script, in no frame', async () => {
    const owner = await startOwner();
    const res = await owner.send(DASHBOARD_PATHS.page);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain(`<script src="${DASHBOARD_PATHS.script}" defer></script>`);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['cache-control']).toBe('no-store');
    expect((await owner.send(PATHS.metrics)).body).not.toContain('process_');
  });

  it('with an admin token: refuse without it, accept bearer and the login cookie', async () => {
    const owner = await startOwner({ adminToken: TOKEN });
    const owned = [PATHS.metrics, DASHBOARD_PATHS.page, DASHBOARD_PATHS.data];
    for (const path of owned) {
      const res = await owner.send(path);
      expect(res.status, path).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="peerconnect"');
      expect(res.body).not.toContain('peerconnect_');
      const wrong = await owner.send(path, { headers: { Authorization: 'Bearer not-the-token' } });
      expect(wrong.status, path).toBe(401);
      const bearer = await owner.send(path, { headers: { Authorization: `Bearer ${TOKEN}` } });
      expect(bearer.status, path).toBe(200);
    }
    expect((await owner.send(PATHS.healthz)).status).toBe(200);
    expect((await owner.beacon(GOOD)).status).toBe(204);

    const guessed = await owner.send(`${DASHBOARD_PATHS.page}?login=guess`);
    expect(guessed.status).toBe(401);
    expect(guessed.headers['set-cookie']).toBeUndefined();
    const code = /login=([\w-]+)/.exec(owner.entryPath())?.[1] ?? '';
    const login = await owner.send(`${DASHBOARD_PATHS.page}?login=${code}`);
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe(DASHBOARD_PATHS.page);
    const setCookie = login.headers['set-cookie']?.[0] ?? '';
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    const cookie = setCookie.split(';')[0] ?? '';
    expect(cookie.startsWith(`${ADMIN_COOKIE}=`)).toBe(true);
    for (const path of owned) {
      expect((await owner.send(path, { headers: { Cookie: cookie } })).status, path).toBe(200);
    }
    // Used up; the next link was printed.
    expect((await owner.send(`${DASHBOARD_PATHS.page}?login=${code}`)).status).toBe(401);
    expect(owner.logs.at(-1)).toMatch(
      new RegExp(
        `next one-time link: http://127\\.0\\.0\\.1:${owner.port}/peerconnect/dashboard\\?login=[\\w-]+$`,
      ),
    );
    expect(owner.logs.at(-1)).not.toContain(code);
  });

  it("prints the next login link with a trusted proxy's scheme", async () => {
    const owner = await startOwner({ adminToken: TOKEN, trustProxy: ['loopback'] });
    const code = /login=([\w-]+)/.exec(owner.entryPath())?.[1] ?? '';
    const login = await owner.send(`${DASHBOARD_PATHS.page}?login=${code}`, {
      headers: { 'X-Forwarded-Proto': 'https' },
    });
    expect(login.status).toBe(303);
    expect(owner.logs.at(-1)).toContain(`next one-time link: https://127.0.0.1:${owner.port}/`);
  });
});
