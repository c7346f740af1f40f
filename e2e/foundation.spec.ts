import type { Page } from '@playwright/test';
import { PATHS } from '../protocol/index.js';
import {
  allImagesDecoded,
  controllerScript,
  countNavigations,
  expect,
  gotoSitePage,
  originAssetBytes,
  pageFetch,
  type ServerProcess,
  SW_BLOCKED,
  sha256Hex,
  siteFile,
  test,
  waitForController,
  waitForSitePage,
} from './fixtures.js';
import { pageAssetPaths, waitForStored } from './swarm.js';

/**
 * The foundation: the demo must load as a complete site, under the service worker from the
 * first page view on, and as a plain site when workers are blocked; first for one visitor with
 * no peers, last for two visitors at once.
 */

const GALLERY_MIN_IMAGES = 12;
/** A first view may be the bootstrap document plus its one reload; never more. */
const MAX_FIRST_VIEW_NAVIGATIONS = 2;
/** Long enough for a reload loop to show itself after the page looked finished. */
const SETTLE_MS = 1_500;
const VIDEO_DURATION_S = 15;
const VIDEO_METADATA_TIMEOUT_MS = 15_000;

/** Same-origin URLs of every image, stylesheet, script and font the page loaded. */
function loadedAssetUrls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const urls = performance
      .getEntriesByType('resource')
      .map((entry) => entry.name)
      .filter((url) => new URL(url).origin === location.origin)
      .filter((url) => /\.(jpg|png|webp|css|js|woff2)$/.test(new URL(url).pathname))
      .filter((url) => !new URL(url).pathname.startsWith('/peerconnect'));
    return [...new Set(urls)];
  });
}

async function expectControlledUnlessBlocked(page: Page, swBlocked: boolean) {
  if (swBlocked) {
    expect(await controllerScript(page)).toBeNull();
  } else {
    expect(new URL(await waitForController(page)).pathname).toBe(PATHS.serviceWorker);
  }
}

async function imageBytesOnPage(page: Page, server: ServerProcess): Promise<number> {
  const sources = await page.evaluate(() => [
    ...new Set(Array.from(document.images, (img) => img.currentSrc)),
  ]);
  const files = await Promise.all(sources.map((src) => siteFile(server, src)));
  return files.reduce((sum, file) => sum + file.length, 0);
}

test.describe('the demo site', { tag: SW_BLOCKED }, () => {
  test('the gallery loads completely on a first visit', async ({
    page,
    consoleErrors,
    swBlocked,
  }) => {
    const navigations = countNavigations(page);
    await gotoSitePage(page, '/');
    await expectControlledUnlessBlocked(page, swBlocked);
    await expect(page).toHaveTitle(/Northbound/);

    const images = await allImagesDecoded(page);
    expect(images.undecoded).toEqual([]);
    expect(images.count).toBeGreaterThanOrEqual(GALLERY_MIN_IMAGES);

    const fonts = await page.evaluate(async () => {
      await document.fonts.ready;
      return Array.from(document.fonts, (font) => `${font.family} ${font.style}: ${font.status}`);
    });
    expect(fonts.filter((font) => !font.endsWith('loaded'))).toEqual([]);

    await page.waitForTimeout(SETTLE_MS);
    expect(navigations()).toBeLessThanOrEqual(MAX_FIRST_VIEW_NAVIGATIONS);
    expect(consoleErrors).toEqual([]);
  });

  test('the about page loads, with its video metadata', async ({
    page,
    consoleErrors,
    swBlocked,
  }) => {
    await gotoSitePage(page, '/about.html');
    await expectControlledUnlessBlocked(page, swBlocked);

    const images = await allImagesDecoded(page);
    expect(images.undecoded).toEqual([]);
    expect(images.count).toBeGreaterThanOrEqual(4);

    const video = page.locator('video');
    // preload="metadata": the browser fetches the start of the file (a Range request).
    await expect
      .poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState), {
        timeout: VIDEO_METADATA_TIMEOUT_MS,
      })
      .toBeGreaterThanOrEqual(1); // HAVE_METADATA
    const duration = await video.evaluate((v: HTMLVideoElement) => v.duration);
    expect(duration).toBeCloseTo(VIDEO_DURATION_S, 0);
    expect(consoleErrors).toEqual([]);
  });

  test('a link to the second page loads it directly, without a bootstrap', async ({
    page,
    consoleErrors,
    swBlocked,
  }) => {
    await gotoSitePage(page, '/');
    const navigations = countNavigations(page);
    await page.getByRole('link', { name: 'About the trip' }).first().click();
    await page.waitForURL('**/about.html');
    await waitForSitePage(page);
    await expectControlledUnlessBlocked(page, swBlocked);
    expect((await allImagesDecoded(page)).undecoded).toEqual([]);
    expect(navigations()).toBe(1);
    expect(consoleErrors).toEqual([]);
  });

  test('the lightbox opens a photo and closes', async ({ page, consoleErrors }) => {
    await gotoSitePage(page, '/');
    const photo = page.locator('a[data-lightbox]').nth(1);
    const alt = await photo.locator('img').getAttribute('alt');
    await photo.click();

    const dialog = page.locator('dialog.lightbox');
    await expect(dialog).toBeVisible();
    const large = dialog.locator('img');
    await expect(large).toHaveAttribute('alt', alt ?? '');
    await expect
      .poll(() => large.evaluate((img: HTMLImageElement) => img.naturalWidth))
      .toBeGreaterThan(0);

    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    expect(consoleErrors).toEqual([]);
  });

  test('every asset arrives byte for byte as the origin holds it', async ({
    page,
    server,
    consoleErrors,
  }) => {
    await gotoSitePage(page, '/');
    const urls = await loadedAssetUrls(page);
    expect(urls.length).toBeGreaterThanOrEqual(GALLERY_MIN_IMAGES);
    for (const url of urls) {
      const fetched = await pageFetch(page, url);
      const expected = await siteFile(server, url);
      expect({ url, status: fetched.status, sha256: fetched.sha256 }).toEqual({
        url,
        status: 200,
        sha256: sha256Hex(expected),
      });
    }

    // A media element asks for ranges; the answer must be exactly those bytes.
    const video = '/videos/northbound-timelapse.webm';
    const range = await pageFetch(page, video, { Range: 'bytes=1000-66535' });
    expect(range.status).toBe(206);
    expect(range.sha256).toBe(sha256Hex((await siteFile(server, video)).subarray(1000, 66536)));
    expect(consoleErrors).toEqual([]);
  });

  test("the origin counts a first visitor's asset bytes", async ({ page, server }) => {
    const before = await originAssetBytes(server);
    await gotoSitePage(page, '/');
    expect((await allImagesDecoded(page)).undecoded).toEqual([]);
    // Alone, with nothing stored, the visitor gets every image from the origin at least once.
    const after = await originAssetBytes(server);
    expect(after - before).toBeGreaterThanOrEqual(await imageBytesOnPage(page, server));
  });
});

test('a reload of a controlled page costs the origin no asset bytes', async ({
  page,
  server,
  consoleErrors,
}) => {
  await gotoSitePage(page, '/');
  await waitForController(page);
  expect((await allImagesDecoded(page)).undecoded).toEqual([]);
  // The worker stores what it verified just after the load; a reload before that is a race.
  await expect.poll(() => pageAssetPaths(page)).toContain('/favicon.ico');
  await waitForStored(page, await pageAssetPaths(page));

  const before = await originAssetBytes(server);
  await page.reload();
  await waitForSitePage(page);
  expect((await allImagesDecoded(page)).undecoded).toEqual([]);
  expect(await originAssetBytes(server)).toBe(before);
  expect(consoleErrors).toEqual([]);
});

test('two visitors at once each load the gallery under their own worker', async ({
  newVisitor,
}) => {
  const first = await newVisitor();
  await gotoSitePage(first.page, '/');
  await waitForController(first.page);
  expect((await allImagesDecoded(first.page)).undecoded).toEqual([]);

  // The first visitor stays open, so the second one's assets may come from it.
  const second = await newVisitor();
  await gotoSitePage(second.page, '/');
  await waitForController(second.page);
  expect((await allImagesDecoded(second.page)).undecoded).toEqual([]);

  expect(first.consoleErrors).toEqual([]);
  expect(second.consoleErrors).toEqual([]);
});
