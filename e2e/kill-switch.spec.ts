import {
  allImagesDecoded,
  controllerScript,
  copyDemo,
  expect,
  freePort,
  gotoSitePage,
  removeDir,
  type ServerProcess,
  startServerProcess,
  test,
  waitForController,
} from './fixtures.js';
import { fetchRelease } from './manifest.js';

/**
 * `peerconnect serve --disable`: the site owner stands PeerConnect down. A visitor whose browser
 * has the worker finds out on its next navigation: the worker passes everything through and
 * unregisters, so the page after that is plain; every page stays intact.
 */

let server: ServerProcess | undefined;
let siteDir: string;
let port: number;

test.beforeAll(async () => {
  siteDir = await copyDemo();
  port = await freePort();
  server = await startServerProcess(siteDir, ['--port', String(port)]);
});

test.afterAll(async () => {
  await server?.stop();
  if (siteDir) await removeDir(siteDir);
});

test('after --disable, a visitor who had the worker is uncontrolled after one navigation', async ({
  newVisitor,
}) => {
  const a = await newVisitor({ baseURL: server!.url });
  await gotoSitePage(a.page, '/');
  await waitForController(a.page);
  // The visitor is away while the owner redeploys: an agent left running would log Chromium's
  // own "connection refused" errors for its reconnects during the restart.
  await a.page.goto('about:blank');

  await server!.stop();
  server = await startServerProcess(siteDir, ['--port', String(port), '--disable']);
  expect((await fetchRelease(server.url)).disabled).toBe(true);

  await gotoSitePage(a.page, '/about.html');
  expect((await allImagesDecoded(a.page)).undecoded).toEqual([]);
  await expect
    .poll(() =>
      a.page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length),
    )
    .toBe(0);
  await gotoSitePage(a.page, '/');
  expect(await controllerScript(a.page)).toBeNull();
  expect((await allImagesDecoded(a.page)).undecoded).toEqual([]);
  expect(await a.page.evaluate(() => 'peerconnect' in window)).toBe(false);
  expect(a.consoleErrors).toEqual([]);
});
