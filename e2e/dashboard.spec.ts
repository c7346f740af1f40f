import { mkdir } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { CLIENT_METRIC_NAMES } from '../origin/index.js';
import type { PeerConnectStats } from '../page/index.js';
import {
  BEACON_FORMAT,
  BEACON_LIMITS,
  BEACON_PATH,
  type Beacon,
  DASHBOARD_PATHS,
  type DashboardData,
  PATHS,
  parseDashboardData,
} from '../protocol/index.js';
import { metricSum } from '../testing/index.js';
import {
  copyDemo,
  expect,
  gotoSitePage,
  removeDir,
  type ServerProcess,
  startServerProcess,
  test,
  type Visitor,
  waitForController,
} from './fixtures.js';
import { fetchRelease } from './manifest.js';
import { pageAssetPaths, recordServed, stats, waitForServed, waitForStored } from './swarm.js';

/**
 * The site owner's dashboard against a real `peerconnect serve` of its own (its figures must
 * start at zero): visitors' beacons, the numbers it shows, and what it refuses.
 * Needs the agent to send beacons (page/agent.ts calling startStatsBeacon).
 */

const SCREENSHOT_DIR = 'test-results';
const VIEWPORTS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } };
/** Beacons leave as the pages do; the origin counts them as they land. */
const BEACON_TIMEOUT_MS = 10_000;
const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
/** The CLI prints this line at start (cli/serve-command.ts). */
const LOGIN_LINE = /dashboard \(one-time login link\): (http:\/\/\S+)/;

const servers: Array<{ server: ServerProcess; siteDir: string }> = [];
test.afterAll(async () => {
  for (const { server, siteDir } of servers.splice(0)) {
    await server.stop();
    await removeDir(siteDir);
  }
});

async function ownServer(args: string[] = []): Promise<ServerProcess> {
  const siteDir = await copyDemo();
  const server = await startServerProcess(siteDir, args);
  servers.push({ server, siteDir });
  return server;
}

async function get(server: ServerProcess, path: string, headers: Record<string, string> = {}) {
  return fetch(new URL(path, server.url), { headers, redirect: 'manual' });
}

async function dashboardData(server: ServerProcess, headers = {}): Promise<DashboardData> {
  const response = await get(server, DASHBOARD_PATHS.data, headers);
  expect(response.status).toBe(200);
  return parseDashboardData(await response.json());
}

/**
 * Loads the demo and leaves it for a same-origin page without the agent, so the page's beacon
 * goes out, and returns its `stats()` as they stood when it left (kept in sessionStorage).
 */
async function leave(visitor: Visitor, server: ServerProcess): Promise<PeerConnectStats> {
  await visitor.page.evaluate(() => {
    addEventListener('pagehide', () => {
      const api = (window as { peerconnect?: { stats(): unknown } }).peerconnect;
      sessionStorage.setItem('stats-at-exit', JSON.stringify(api?.stats()));
    });
  });
  await visitor.page.goto(`${server.url}${PATHS.healthz}`);
  return JSON.parse(
    await visitor.page.evaluate(() => sessionStorage.getItem('stats-at-exit') ?? 'null'),
  );
}

async function seeded(visitor: Visitor, server: ServerProcess): Promise<string[]> {
  await recordServed(visitor.context);
  await gotoSitePage(visitor.page, `${server.url}/`);
  await waitForController(visitor.page);
  const assets = await pageAssetPaths(visitor.page);
  await waitForServed(visitor.page, assets);
  await waitForStored(visitor.page, assets);
  return assets;
}

function post(server: ServerProcess, body: unknown, headers: Record<string, string> = {}) {
  return fetch(new URL(BEACON_PATH, server.url), {
    method: 'POST',
    headers: { Origin: server.url, 'Content-Type': 'text/plain;charset=UTF-8', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function cardValue(page: Page, card: string): Promise<number> {
  return Number(await page.locator(`[data-card="${card}"] .value`).getAttribute('data-value'));
}

async function screenshot(page: Page, name: string) {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOT_DIR}/${name}`, fullPage: true });
}

test.describe('dashboard', () => {
  test("shows the two visitors' reported figures, as their stats() say, at desktop and phone widths", async ({
    newVisitor,
  }) => {
    const server = await ownServer();
    const a = await newVisitor();
    const assets = await seeded(a, server);
    const b = await newVisitor();
    await recordServed(b.context);
    await gotoSitePage(b.page, `${server.url}/`);
    await waitForServed(b.page, assets);
    await waitForStored(b.page, assets);
    // Settled: A has uploaded exactly what B got from peers (late reports, e.g. the icon, in).
    await expect
      .poll(async () => (await stats(a.page)).bytesUploaded - (await stats(b.page)).bytesFromPeers)
      .toBe(0);
    expect((await stats(b.page)).bytesFromPeers).toBeGreaterThan(0);

    const left = [await leave(a, server), await leave(b, server)];
    const sum = (key: 'bytesFromPeers' | 'bytesFromOrigin' | 'bytesFromCache' | 'bytesUploaded') =>
      left.reduce((total, s) => total + s[key], 0);
    const expected = {
      peer: sum('bytesFromPeers'),
      origin: sum('bytesFromOrigin'),
      cache: sum('bytesFromCache'),
      uploaded: sum('bytesUploaded'),
    };
    await expect
      .poll(async () => (await dashboardData(server)).totals, { timeout: BEACON_TIMEOUT_MS })
      .toMatchObject(expected);
    const data = await dashboardData(server);
    expect(data.totals.beacons).toBeGreaterThanOrEqual(2);
    expect(data.topAssets.length).toBeGreaterThan(0);
    expect(data.ttfbMs.peer).not.toBeNull();
    expect(data.ttfbMs.origin).not.toBeNull();
    const metrics = await (await get(server, PATHS.metrics)).text();
    expect(metricSum(metrics, CLIENT_METRIC_NAMES.bytes, { source: 'peer' })).toBe(expected.peer);
    expect(metricSum(metrics, CLIENT_METRIC_NAMES.uploaded)).toBe(expected.uploaded);

    const owner = await newVisitor({ viewport: VIEWPORTS.desktop });
    await owner.page.goto(`${server.url}${DASHBOARD_PATHS.page}`);
    await expect(owner.page.locator('.status')).toHaveAttribute('data-status', 'live');
    expect(await cardValue(owner.page, 'saved')).toBe(expected.peer);
    expect(await cardValue(owner.page, 'from-origin')).toBe(expected.origin);
    expect(await cardValue(owner.page, 'from-cache')).toBe(expected.cache);
    expect(await cardValue(owner.page, 'uploaded')).toBe(expected.uploaded);
    expect(await cardValue(owner.page, 'offload')).toBeCloseTo(
      expected.peer / (expected.peer + expected.origin),
    );
    await expect(owner.page.locator('.top tbody tr')).toHaveCount(data.topAssets.length);
    await expect(owner.page.locator('.chart canvas')).toHaveCount(2);
    await screenshot(owner.page, 'dashboard-desktop.png');
    await owner.page.setViewportSize(VIEWPORTS.phone);
    const overflow = await owner.page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBe(0);
    await screenshot(owner.page, 'dashboard-phone.png');
    expect(owner.consoleErrors).toEqual([]);
  });

  test('refuses bad, oversized and flooding beacons with their status, and changes no figure', async () => {
    const server = await ownServer();
    const [asset] = (await fetchRelease(server.url)).assets.values();
    if (!asset) throw new Error('the demo has no assets');
    const good: Beacon = {
      format: BEACON_FORMAT,
      assets: [{ path: asset.path, peer: asset.size, origin: 0, cache: 0 }],
      ttfb: { peer: [10], origin: [], cache: [] },
    };
    expect((await post(server, good)).status).toBe(204);
    const before = await dashboardData(server);
    const cases: Array<[unknown, Record<string, string>, number]> = [
      ['{"format":', {}, 400],
      [{ ...good, format: 9 }, {}, 400],
      [{ ...good, assets: [{ path: asset.path, peer: -1, origin: 0, cache: 0 }] }, {}, 400],
      [{ ...good, assets: [{ path: '/index.html', peer: 1, origin: 0, cache: 0 }] }, {}, 422],
      [
        {
          ...good,
          assets: [{ ...good.assets[0], peer: asset.size * BEACON_LIMITS.maxLoadsPerAsset + 1 }],
        },
        {},
        422,
      ],
      [{ ...good, pad: 'x'.repeat(BEACON_LIMITS.maxBytes) }, {}, 413],
      [good, { Origin: 'https://elsewhere.example' }, 403],
      [good, { 'Content-Type': 'application/x-www-form-urlencoded' }, 415],
    ];
    for (const [body, headers, status] of cases) {
      expect((await post(server, body, headers)).status, JSON.stringify(body).slice(0, 80)).toBe(
        status,
      );
    }
    expect((await dashboardData(server)).totals).toEqual(before.totals);

    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await post(server, good)).status);
    const accepted = statuses.filter((status) => status === 204).length;
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
    expect(accepted + statuses.filter((status) => status === 429).length).toBe(statuses.length);
    const after = await dashboardData(server);
    expect(after.totals.beacons).toBe(before.totals.beacons + accepted);
    expect(after.totals.peer).toBe(before.totals.peer + accepted * asset.size);
  });

  test('with --admin-token, the dashboard and metrics refuse without it and accept bearer and cookie', async ({
    newVisitor,
  }) => {
    const server = await ownServer(['--admin-token', ADMIN_TOKEN]);
    const owned = [PATHS.metrics, DASHBOARD_PATHS.page, DASHBOARD_PATHS.data];
    for (const path of owned) {
      expect((await get(server, path)).status, path).toBe(401);
      const bearer = await get(server, path, { Authorization: `Bearer ${ADMIN_TOKEN}` });
      expect(bearer.status, path).toBe(200);
      expect(bearer.headers.get('access-control-allow-origin'), path).toBeNull();
    }
    expect((await get(server, '/css/site.css')).headers.get('access-control-allow-origin')).toBe(
      '*',
    );

    await expect.poll(() => LOGIN_LINE.exec(server.log())?.[1]).toBeTruthy();
    const link = LOGIN_LINE.exec(server.log())?.[1] ?? '';
    const owner = await newVisitor({ viewport: VIEWPORTS.desktop });
    const denied = await owner.page.goto(`${server.url}${DASHBOARD_PATHS.page}`);
    expect(denied?.status()).toBe(401);
    await owner.page.goto(link);
    expect(new URL(owner.page.url()).search).toBe('');
    await expect(owner.page.locator('.status')).toHaveAttribute('data-status', 'live');
    const cookie = (await owner.context.cookies()).find((c) => c.name === 'peerconnect-admin');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/peerconnect' });
    const withCookie = { Cookie: `${cookie?.name}=${cookie?.value}` };
    for (const path of owned) expect((await get(server, path, withCookie)).status, path).toBe(200);

    // The link was for one use; the server printed the next.
    const again = await newVisitor();
    expect((await again.page.goto(link))?.status()).toBe(401);
    expect(server.log()).toContain('the next one-time link');
  });
});
