import {
  allImagesDecoded,
  copyDemo,
  expect,
  gotoSitePage,
  removeDir,
  type ServerProcess,
  siteFile,
  startServerProcess,
  test,
} from './fixtures.js';
import { pageAssetPaths, recordServed, seedPage, stats, waitForServed } from './swarm.js';

/**
 * What a visitor gives: one who opted out serves nothing, and one whose upload budget for the
 * session is spent serves nothing more. The downloader's page is intact either way.
 */

/** Smaller than the gallery's largest image, so the budget runs out during the page. */
const UPLOAD_BUDGET_BYTES = 300_000;

test('a visitor who opted out serves nothing', async ({ newVisitor, server }) => {
  const a = await newVisitor();
  await seedPage(a, '/');
  await a.page.evaluate(() =>
    (window as unknown as { peerconnect: { optOut(): void } }).peerconnect.optOut(),
  );
  await gotoSitePage(a.page, '/');

  const b = await newVisitor();
  await recordServed(b.context);
  const before = await server.originAssetBytes();
  await gotoSitePage(b.page, '/');
  expect((await allImagesDecoded(b.page)).undecoded).toEqual([]);
  const assets = await pageAssetPaths(b.page);
  const served = await waitForServed(b.page, assets);
  for (const path of assets) expect(served.get(path)?.source, path).toBe('origin');
  expect(await server.originAssetBytes()).toBeGreaterThan(before);
  expect((await stats(a.page)).bytesUploaded).toBe(0);
  expect(b.consoleErrors).toEqual([]);
});

test.describe('an upload budget per session', () => {
  let server: ServerProcess;
  let siteDir: string;

  test.beforeAll(async () => {
    siteDir = await copyDemo();
    server = await startServerProcess(siteDir, ['--upload-budget', String(UPLOAD_BUDGET_BYTES)]);
  });

  test.afterAll(async () => {
    await server?.stop();
    if (siteDir) await removeDir(siteDir);
  });

  test('a visitor over budget serves nothing more; the other gets the rest from the origin', async ({
    newVisitor,
  }) => {
    const a = await newVisitor({ baseURL: server.url });
    const assets = await seedPage(a, '/');
    const sizes = await Promise.all(assets.map(async (p) => (await siteFile(server, p)).length));
    const total = sizes.reduce((sum, size) => sum + size, 0);

    const b = await newVisitor({ baseURL: server.url });
    await recordServed(b.context);
    const before = await server.originAssetBytes();
    await gotoSitePage(b.page, '/');
    expect((await allImagesDecoded(b.page)).undecoded).toEqual([]);
    await waitForServed(b.page, assets);
    const uploaded = (await stats(a.page)).bytesUploaded;
    expect(uploaded).toBeLessThanOrEqual(UPLOAD_BUDGET_BYTES);
    expect(await server.originAssetBytes()).toBeGreaterThanOrEqual(before + total - uploaded);
    expect(b.consoleErrors).toEqual([]);
  });
});
