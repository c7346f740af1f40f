import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  allImagesDecoded,
  copyDemo,
  expect,
  gotoSitePage,
  pageFetch,
  removeDir,
  type ServerProcess,
  sha256Hex,
  siteFile,
  startServerProcess,
  test,
} from './fixtures.js';
import { fetchRelease } from './manifest.js';
import { ReturningVisitor } from './returning-visitor.js';
import {
  announcedIds,
  expectPageFromPeers,
  pageAssetPaths,
  recordServed,
  seedPage,
  waitForServed,
} from './swarm.js';

/**
 * Visitors who come back and releases that change: the swarm is the site's, not a release's,
 * and what a browser stored in an earlier session is served whatever page it is on.
 */

/** A live rebuild of the demo (hashing ~5 MB) after a file changed under `serve`. */
const REBUILD_TIMEOUT_MS = 20_000;
/** The bound: the changed file, plus this share of the page's other asset bytes. */
const REDEPLOY_ORIGIN_SLACK = 0.05;

test('a visitor who closed the browser serves, from page 1, what it stored on page 2', async ({
  server,
  newVisitor,
}) => {
  const a = await ReturningVisitor.open(server.url);
  try {
    const gallery = await seedPage(a, '/');
    const about = await seedPage(a, '/about.html');
    await a.close();
    // Nothing about a visitor outlives its connection on the server.
    await expect.poll(() => announcedIds(server)).toBe(0);
    await a.launch();
    await gotoSitePage(a.page, '/');
    // Alone in the swarm it discloses nothing; B's join gives it the quorum, and then it
    // announces everything in its store, the about page's files included.
    expect(await announcedIds(server)).toBe(0);

    const b = await newVisitor();
    await expectPageFromPeers(b, server, '/about.html', about);
    const held = new Set([...gallery, ...about]).size;
    expect(await announcedIds(server)).toBeGreaterThanOrEqual(held);
    expect(a.consoleErrors).toEqual([]);
    expect(b.consoleErrors).toEqual([]);
  } finally {
    await a.dispose();
  }
});

test.describe('a redeploy while a visitor is on the old release', () => {
  let server: ServerProcess;
  let siteDir: string;

  test.beforeAll(async () => {
    siteDir = await copyDemo();
    server = await startServerProcess(siteDir);
  });

  test.afterAll(async () => {
    await server?.stop();
    if (siteDir) await removeDir(siteDir);
  });

  test('unchanged files come from that visitor; the changed one from the origin, never the old bytes', async ({
    newVisitor,
  }) => {
    const a = await newVisitor({ baseURL: server.url });
    const assets = await seedPage(a, '/');
    const cssPath = join(siteDir, 'css', 'site.css');
    const oldCss = await readFile(cssPath);
    const oldRelease = await fetchRelease(server.url);

    // A same-size edit: a size-and-mtime check would miss it, a content check does not.
    const newCss = Buffer.from(oldCss);
    newCss[newCss.length - 2] = newCss[newCss.length - 2] === 0x20 ? 0x0a : 0x20;
    expect(newCss.length).toBe(oldCss.length);
    await writeFile(cssPath, newCss);
    await expect
      .poll(async () => (await fetchRelease(server.url)).version, { timeout: REBUILD_TIMEOUT_MS })
      .not.toBe(oldRelease.version);
    const newRelease = await fetchRelease(server.url);
    expect(newRelease.assets.get('/css/site.css')?.sha256).toBe(sha256Hex(newCss));

    const b = await newVisitor({ baseURL: server.url });
    await recordServed(b.context);
    const before = await server.originAssetBytes();
    await gotoSitePage(b.page, '/');
    expect((await allImagesDecoded(b.page)).undecoded).toEqual([]);
    await expect.poll(() => pageAssetPaths(b.page)).toEqual(assets);
    const served = await waitForServed(b.page, assets);
    const fromOrigin = (await server.originAssetBytes()) - before;

    const sizes = await Promise.all(assets.map(async (p) => (await siteFile(server, p)).length));
    const others = sizes.reduce((sum, size) => sum + size, 0) - newCss.length;
    expect(fromOrigin).toBeLessThanOrEqual(newCss.length + others * REDEPLOY_ORIGIN_SLACK);
    expect(served.get('/css/site.css')?.source).toBe('origin');
    for (const path of assets.filter((p) => p !== '/css/site.css')) {
      expect(served.get(path)?.source, path).toBe('peer');
    }
    expect((await pageFetch(b.page, '/css/site.css')).sha256).toBe(sha256Hex(newCss));
    expect(b.consoleErrors).toEqual([]);
  });
});
