import { NAVIGATOR_FEATURES, PAGE_FEATURE_GLOBALS } from '../protocol/index.js';
import { allImagesDecoded, controllerScript, expect, gotoSitePage, test } from './fixtures.js';

/**
 * Feature detection: in a browser that lacks anything PeerConnect relies on, the site is the
 * plain site. Chromium stands in for such browsers with the feature removed by an init script
 * (in every document, so in the first-visit bootstrap too): the page must be intact, with no
 * uncaught error, no worker and no `window.peerconnect`.
 */

type Removal = { name: string; on: 'window' | 'navigator' | 'transfer' };

const REMOVALS: Removal[] = [
  ...PAGE_FEATURE_GLOBALS.map((name): Removal => ({ name, on: 'window' })),
  ...NAVIGATOR_FEATURES.map((name): Removal => ({ name, on: 'navigator' })),
  // A structuredClone that copies instead of transferring: no zero-copy buffers.
  { name: 'transferable ArrayBuffer', on: 'transfer' },
];

for (const removal of REMOVALS) {
  test(`without ${removal.name}, the site is the plain site, intact`, async ({ newVisitor }) => {
    const visitor = await newVisitor();
    await visitor.context.addInitScript(({ name, on }: Removal) => {
      const holder: Record<string, unknown> =
        on === 'window'
          ? (window as unknown as Record<string, unknown>)
          : (Navigator.prototype as unknown as Record<string, unknown>);
      if (on === 'transfer') {
        const clone = window.structuredClone;
        window.structuredClone = (value: unknown) => clone(value);
        return;
      }
      delete holder[name];
      if (holder[name] != null) Object.defineProperty(holder, name, { value: undefined });
    }, removal);
    await gotoSitePage(visitor.page, '/');
    expect((await allImagesDecoded(visitor.page)).undecoded).toEqual([]);
    expect(await visitor.page.evaluate(() => 'peerconnect' in window)).toBe(false);
    // The bootstrap (kept under 1.5 KB) checks only the globals: without transferable buffers
    // the worker is installed, finds no agent, and every fetch goes to the origin.
    if (removal.on !== 'transfer') expect(await controllerScript(visitor.page)).toBeNull();
    // A second page of the site, as a visitor clicks on.
    await gotoSitePage(visitor.page, '/about.html');
    expect((await allImagesDecoded(visitor.page)).undecoded).toEqual([]);
    expect(visitor.consoleErrors).toEqual([]);
  });
}
