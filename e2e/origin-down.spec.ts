import { type Browser, chromium, test } from '@playwright/test';
import { PATHS } from '../protocol/index.js';
import {
  allImagesDecoded,
  CHROMIUM_LAUNCH,
  collectConsoleErrors,
  copyDemo,
  expect,
  freePort,
  gotoSitePage,
  pageFetch,
  removeDir,
  type ServerProcess,
  SITE_PAGE_SELECTOR,
  sha256Hex,
  siteFile,
  startServerProcess,
  startSignalOnlyProcess,
} from './fixtures.js';
import { recordServed, seedPage, waitForServed } from './swarm.js';

/**
 * The origin goes away while signaling stays: `peerconnect serve --signal-only` runs signaling
 * on its own, the origin's pages point at it (`--signal-url`), and then the origin process is
 * stopped, so its port refuses connections.
 */

let signal: ServerProcess;
let origin: ServerProcess;
let siteDir: string;
let browser: Browser;

test.beforeAll(async () => {
  siteDir = await copyDemo();
  const originPort = await freePort();
  const originUrl = `http://127.0.0.1:${originPort}`;
  signal = await startSignalOnlyProcess(['--allow-origin', originUrl]);
  const signalUrl = `${signal.url.replace(/^http/, 'ws')}${PATHS.signal}`;
  origin = await startServerProcess(siteDir, [
    '--port',
    String(originPort),
    '--signal-url',
    signalUrl,
  ]);
  browser = await chromium.launch(CHROMIUM_LAUNCH);
});

test.afterAll(async () => {
  await browser?.close();
  await origin?.stop();
  await signal?.stop();
  if (siteDir) await removeDir(siteDir);
});

async function visitor() {
  const context = await browser.newContext({ baseURL: origin.url, serviceWorkers: 'allow' });
  const consoleErrors = collectConsoleErrors(context);
  return { context, page: await context.newPage(), consoleErrors };
}

test('with the origin refusing connections, peers serve a loaded page and a returning visitor opens pages it saw', async () => {
  const a = await visitor();
  const gallery = await seedPage(a, '/');
  const about = await seedPage(a, '/about.html');
  const b = await visitor();
  await recordServed(b.context);
  await gotoSitePage(b.page, '/');
  await waitForServed(b.page, gallery);

  await origin.stop();
  const missing = about.filter((path) => !gallery.includes(path));
  expect(missing.length).toBeGreaterThan(0);
  // B's page is loaded; what it asks for next can come only from A.
  for (const path of missing) {
    const received = await pageFetch(b.page, path);
    expect(received.status, path).toBe(200);
    expect(received.sha256, path).toBe(sha256Hex(await siteFile(origin, path)));
  }
  const served = await waitForServed(b.page, missing);
  for (const path of missing) expect(served.get(path)?.source, path).toBe('peer');

  // A opens both pages again: the worker's copies of the real pages, their assets from A's store.
  for (const path of ['/', '/about.html']) {
    await a.page.goto(path);
    await a.page.waitForSelector(SITE_PAGE_SELECTOR);
    expect((await allImagesDecoded(a.page)).undecoded, path).toEqual([]);
  }
  expect(await a.page.evaluate(() => document.body.dataset.page)).toBeTruthy();
  await Promise.all([a.context.close(), b.context.close()]);
});
