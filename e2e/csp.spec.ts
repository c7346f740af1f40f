import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BrowserContext, test } from '@playwright/test';
import {
  allImagesDecoded,
  collectConsoleErrors,
  controllerScript,
  copyDemo,
  expect,
  gotoSitePage,
  removeDir,
  type ServerProcess,
  startServerProcess,
} from './fixtures.js';
import { expectPageFromPeers, seedPage } from './swarm.js';

/**
 * Pages that set a strict Content-Security-Policy for themselves (`<meta http-equiv>`: serve adds
 * no CSP header). One lets PeerConnect run (nonce for scripts, same-origin connect and worker):
 * it works P2P, under the policy, with no violation. One forbids service workers: the server
 * steps aside (no bootstrap, no agent) and the page is the plain site.
 */

const NONCE = 'cHJvYmFibHktcmFuZG9t';
const STRICT_POLICY = `script-src 'nonce-${NONCE}'; connect-src 'self'; worker-src 'self'`;
const NO_WORKERS_POLICY = "worker-src 'none'";

let server: ServerProcess;
let siteDir: string;

/** The demo's gallery under `policy`, its own script carrying the nonce. */
async function writePolicyPage(name: string, policy: string): Promise<void> {
  const gallery = await readFile(join(siteDir, 'index.html'), 'utf8');
  const page = gallery
    .replace(
      '<meta charset="utf-8">',
      `<meta charset="utf-8">\n    <meta http-equiv="Content-Security-Policy" content="${policy}">`,
    )
    .replace('<script src="/js/gallery.js"', `<script nonce="${NONCE}" src="/js/gallery.js"`);
  expect(page).toContain(policy);
  await writeFile(join(siteDir, name), page);
}

test.beforeAll(async () => {
  siteDir = await copyDemo();
  await writePolicyPage('strict.html', STRICT_POLICY);
  await writePolicyPage('no-workers.html', NO_WORKERS_POLICY);
  server = await startServerProcess(siteDir);
});

test.afterAll(async () => {
  await server?.stop();
  if (siteDir) await removeDir(siteDir);
});

/** Records every CSP violation the page's documents report. */
async function recordViolations(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __violations: string[] }).__violations = seen;
    document.addEventListener('securitypolicyviolation', (event) =>
      seen.push(`${event.violatedDirective} ${event.blockedURI}`),
    );
  });
}

test.describe('a page with its own strict CSP', () => {
  test('with a nonce and same-origin connect and worker: B gets the page from A, no violation', async ({
    browser,
  }) => {
    const visitor = async () => {
      const context = await browser.newContext({ baseURL: server.url, serviceWorkers: 'allow' });
      await recordViolations(context);
      const consoleErrors = collectConsoleErrors(context);
      return { context, page: await context.newPage(), consoleErrors };
    };
    const a = await visitor();
    const assets = await seedPage(a, '/strict.html');
    const b = await visitor();
    await expectPageFromPeers(b, server, '/strict.html', assets);
    // The injected agent tag carries the page's nonce (the DOM shows it as the nonce property).
    const agentNonce = await b.page.evaluate(
      () => document.querySelector<HTMLScriptElement>('script[src="/peerconnect/agent.js"]')?.nonce,
    );
    expect(agentNonce).toBe(NONCE);
    for (const v of [a, b]) {
      expect(
        await v.page.evaluate(() => (window as unknown as { __violations: string[] }).__violations),
      ).toEqual([]);
      expect(v.consoleErrors).toEqual([]);
    }
    await Promise.all([a.context.close(), b.context.close()]);
  });

  test('that forbids workers: served as written, without agent or bootstrap, intact', async ({
    browser,
  }) => {
    const context = await browser.newContext({ baseURL: server.url, serviceWorkers: 'allow' });
    await recordViolations(context);
    const consoleErrors = collectConsoleErrors(context);
    const page = await context.newPage();
    const response = await page.goto('/no-workers.html');
    expect(await response?.text()).toBe(await readFile(join(siteDir, 'no-workers.html'), 'utf8'));
    await gotoSitePage(page, '/no-workers.html');
    expect((await allImagesDecoded(page)).undecoded).toEqual([]);
    expect(await page.locator('script[src="/peerconnect/agent.js"]').count()).toBe(0);
    expect(await controllerScript(page)).toBeNull();
    expect(
      await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations),
    ).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await context.close();
  });
});
