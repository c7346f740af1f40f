import { type BrowserContext, expect, type Page } from '@playwright/test';
import type { PeerConnectStats } from '../page/index.js';
import { allImagesDecoded, gotoSitePage, waitForController } from './browser.js';
import { siteFile } from './bytes.js';
import { releasePathsInPage } from './manifest.js';
import { metricValue, type ServerProcess } from './server-process.js';

/** Helpers for tests with several visitors in one swarm. */

/** Seeding finishes shortly after a page load: verification, IndexedDB write, `have`. */
const SEEDED_TIMEOUT_MS = 15_000;
const POLL_MS = 50;

export interface Served {
  path: string;
  source: 'cache' | 'peer' | 'origin';
  peer: number;
  origin: number;
  cache: number;
}

/**
 * Records every `pc:served` report the worker sends to each page of `context` into
 * `window.__served`, from before any page script runs.
 */
export async function recordServed(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const served: unknown[] = [];
    (window as unknown as { __served: unknown[] }).__served = served;
    navigator.serviceWorker?.addEventListener('message', (event) => {
      if (event.data?.type === 'pc:served') served.push(event.data);
    });
  });
}

export function servedReports(page: Page): Promise<Served[]> {
  return page.evaluate(() => (window as unknown as { __served?: Served[] }).__served ?? []);
}

/**
 * Manifest paths the current document loaded (resource timing ∩ manifest), but media: a
 * `<video>` reads ranges of its file from the origin, and large media is WebTorrent's.
 */
export async function pageAssetPaths(page: Page): Promise<string[]> {
  const inManifest = new Set(await releasePathsInPage(page));
  const loaded = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .filter(
        (entry) => !['video', 'audio'].includes((entry as PerformanceResourceTiming).initiatorType),
      )
      .map((entry) => new URL(entry.name))
      .filter((url) => url.origin === location.origin)
      .map((url) => url.pathname),
  );
  return [...new Set(loaded.filter((path) => inManifest.has(path)))].sort();
}

/** URL paths of the assets in this visitor's IndexedDB store. */
export function storedPaths(page: Page): Promise<string[]> {
  return page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const open = indexedDB.open('peerconnect');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('assets')) {
            db.close();
            resolve([]);
            return;
          }
          const request = db.transaction('assets').objectStore('assets').getAll();
          request.onsuccess = () => {
            db.close();
            resolve((request.result as { path: string }[]).map((record) => record.path).sort());
          };
          request.onerror = () => reject(request.error);
        };
      }),
  );
}

/** Waits until the visitor holds every path in its store (and so offers it to peers). */
export async function waitForStored(page: Page, paths: string[]): Promise<void> {
  const deadline = Date.now() + SEEDED_TIMEOUT_MS;
  for (;;) {
    const stored = new Set(await storedPaths(page));
    const missing = paths.filter((path) => !stored.has(path));
    if (missing.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`not stored after ${SEEDED_TIMEOUT_MS} ms: ${missing.join(', ')}`);
    await page.waitForTimeout(POLL_MS);
  }
}

/**
 * Waits until the worker reported every path to the page; returns the first report of each
 * path (a browser may ask twice, e.g. for a favicon, and the second answer is from the store).
 */
export async function waitForServed(page: Page, paths: string[]): Promise<Map<string, Served>> {
  const deadline = Date.now() + SEEDED_TIMEOUT_MS;
  for (;;) {
    const byPath = new Map<string, Served>();
    for (const report of await servedReports(page)) {
      if (!byPath.has(report.path)) byPath.set(report.path, report);
    }
    const missing = paths.filter((path) => !byPath.has(path));
    if (missing.length === 0) return byPath;
    if (Date.now() > deadline) throw new Error(`no served report for: ${missing.join(', ')}`);
    await page.waitForTimeout(POLL_MS);
  }
}

export function stats(page: Page): Promise<PeerConnectStats> {
  return page.evaluate(() => {
    const api = (window as unknown as { peerconnect?: { stats(): PeerConnectStats } }).peerconnect;
    if (!api) throw new Error('window.peerconnect is missing');
    return api.stats();
  });
}

export function signalConnections(server: ServerProcess): Promise<number> {
  return metricValue(server, 'peerconnect_signal_connections');
}

/**
 * Makes every data channel of the context corrupt the chunk bodies it sends (one flipped byte
 * in any message larger than a control message): a hostile peer.
 */
export async function corruptOutgoingChunks(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const send = RTCDataChannel.prototype.send;
    RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: never) {
      const bytes = data as unknown;
      if (bytes instanceof ArrayBuffer && bytes.byteLength > 64) {
        const copy = new Uint8Array(bytes.slice(0));
        copy[copy.length >> 1] = (copy[copy.length >> 1] ?? 0) ^ 0xff;
        return send.call(this, copy.buffer as never);
      }
      return send.call(this, data);
    };
  });
}

/**
 * Slows every data channel of the context to about `bytesPerSecond` by queueing sends in JS:
 * a peer on a slow uplink, so a test can close it in the middle of a transfer.
 */
export async function throttleOutgoing(
  context: BrowserContext,
  bytesPerSecond: number,
): Promise<void> {
  await context.addInitScript((rate) => {
    const send = RTCDataChannel.prototype.send;
    const queues = new WeakMap<RTCDataChannel, { items: unknown[]; busy: boolean }>();
    RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: never) {
      let queue = queues.get(this);
      if (!queue) {
        queue = { items: [], busy: false };
        queues.set(this, queue);
      }
      queue.items.push(data);
      const pump = (q: { items: unknown[]; busy: boolean }) => {
        const item = q.items.shift();
        if (item === undefined) {
          q.busy = false;
          return;
        }
        q.busy = true;
        if (this.readyState === 'open') send.call(this, item as never);
        const size = item instanceof ArrayBuffer ? item.byteLength : 64;
        setTimeout(() => pump(q), (size / rate) * 1000);
      };
      if (!queue.busy) pump(queue);
    };
  }, bytesPerSecond);
}

/**
 * Blocks the page's event loop for `ms` (a frozen or hung tab: timers, messages and WebRTC
 * callbacks wait). Resolves when the page runs again.
 */
export async function hangMainThread(page: Page, ms: number): Promise<void> {
  await page.evaluate((duration) => {
    const end = Date.now() + duration;
    while (Date.now() < end) {
      // Busy: nothing else runs in this tab meanwhile.
    }
  }, ms);
}

/**
 * Loads `path` in `visitor` (its first visit: from the origin), then waits until its worker
 * stored every asset of the page, so it offers them to peers. Returns the page's asset paths.
 */
export async function seedPage(
  visitor: { context: BrowserContext; page: Page },
  path = '/',
): Promise<string[]> {
  await recordServed(visitor.context);
  await gotoSitePage(visitor.page, path);
  await waitForController(visitor.page);
  // The browser asks for the page's icon after the load event; a seeder holds it too.
  const icon = await visitor.page.evaluate(() => {
    const link = document.querySelector<HTMLLinkElement>('link[rel~="icon"]');
    return link ? new URL(link.href).pathname : null;
  });
  // The browser keeps an icon it fetched on an earlier page of the tab and need not ask again:
  // then the store has it, and the page still uses it.
  const hasIcon = async () =>
    (await pageAssetPaths(visitor.page)).includes(icon!) ||
    (await storedPaths(visitor.page)).includes(icon!);
  if (icon) await expect.poll(hasIcon).toBe(true);
  const loaded = await pageAssetPaths(visitor.page);
  const assets = icon && !loaded.includes(icon) ? [...loaded, icon].sort() : loaded;
  // What an earlier page stored may come from the renderer's memory cache, with no fetch
  // event and so no report: it is held already, which is all a seeder needs.
  const held = new Set(await storedPaths(visitor.page));
  await waitForServed(
    visitor.page,
    loaded.filter((path) => !held.has(path)),
  );
  await waitForStored(visitor.page, assets);
  return assets;
}

/**
 * Loads `path` as a second visitor and checks that every asset the seeder stored (`assets`)
 * reached it from peers: all images decode, every asset served by a peer, and the origin's
 * asset counter flat during the load.
 */
export async function expectPageFromPeers(
  visitor: { context: BrowserContext; page: Page },
  server: ServerProcess,
  path: string,
  assets: readonly string[],
): Promise<void> {
  await recordServed(visitor.context);
  const before = await server.originAssetBytes();
  await gotoSitePage(visitor.page, path);
  expect((await allImagesDecoded(visitor.page)).undecoded).toEqual([]);
  await expect.poll(() => pageAssetPaths(visitor.page)).toEqual(assets);
  const served = await waitForServed(visitor.page, [...assets]);
  for (const asset of assets) expect(served.get(asset)?.source, asset).toBe('peer');
  const media = await mediaOriginAllowance(visitor.page, server);
  expect(await server.originAssetBytes()).toBeLessThanOrEqual(before + media);
}

/** A `<video>` may ask for the same range twice (metadata, then the first frames). */
const MEDIA_RANGE_OVERFETCH = 2;

/**
 * Origin bytes the page's media may cost: their ranges come from the origin until video
 * travels through WebTorrent. Zero on a page without media.
 */
async function mediaOriginAllowance(page: Page, server: ServerProcess): Promise<number> {
  const paths = await page.evaluate(() => {
    const sources = document.querySelectorAll<HTMLMediaElement | HTMLSourceElement>(
      'video[src], audio[src], video source[src], audio source[src]',
    );
    return [...sources]
      .map((element) => new URL(element.src, location.href))
      .filter((url) => url.origin === location.origin)
      .map((url) => url.pathname);
  });
  const sizes = await Promise.all(
    [...new Set(paths)].map(async (p) => (await siteFile(server, p)).length),
  );
  return sizes.reduce((sum, size) => sum + size, 0) * MEDIA_RANGE_OVERFETCH;
}

/** Content ids the signaling server holds announcements for, over every swarm and socket. */
export function announcedIds(server: ServerProcess): Promise<number> {
  return metricValue(server, 'peerconnect_signal_announced_ids');
}
