import { type Browser, chromium, test } from '@playwright/test';
import { makeSelfSignedCert } from '../testing/index.js';
import {
  CHROMIUM_LAUNCH,
  collectConsoleErrors,
  copyDemo,
  expect,
  removeDir,
  type ServerProcess,
  startServerProcess,
} from './fixtures.js';
import { expectPageFromPeers, seedPage } from './swarm.js';

/**
 * `peerconnect serve --tls-cert --tls-key`: the site over https, signaling over wss on the same
 * port. The certificate is self-signed and made here, so this test's own Chromium ignores
 * certificate errors; no other test runs with that flag. Plain Playwright `test`: the shared
 * fixtures' demo server (plain http) is not needed here.
 */

let server: ServerProcess;
let browser: Browser;
let siteDir: string;

test.beforeAll(async () => {
  siteDir = await copyDemo();
  const cert = await makeSelfSignedCert(siteDir);
  server = await startServerProcess(
    siteDir,
    ['--tls-cert', cert.certFile, '--tls-key', cert.keyFile],
    cert.cert,
  );
  browser = await chromium.launch({
    ...CHROMIUM_LAUNCH,
    args: [...CHROMIUM_LAUNCH.args, '--ignore-certificate-errors'],
  });
});

test.afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (siteDir) await removeDir(siteDir);
});

async function visitor() {
  const context = await browser.newContext({ baseURL: server.url, serviceWorkers: 'allow' });
  const consoleErrors = collectConsoleErrors(context);
  return { context, page: await context.newPage(), consoleErrors };
}

test('over https, a second visitor gets the page assets from the first', async () => {
  expect(server.url).toMatch(/^https:\/\//);
  const a = await visitor();
  const assets = await seedPage(a);
  const b = await visitor();
  await expectPageFromPeers(b, server, '/', assets);
  expect(b.page.url()).toMatch(/^https:/);
  expect(a.consoleErrors).toEqual([]);
  expect(b.consoleErrors).toEqual([]);
  await Promise.all([a.context.close(), b.context.close()]);
});
