import type {
  Browser,
  BrowserContext,
  BrowserContextOptions,
  LaunchOptions,
  Page,
} from '@playwright/test';

/** Helpers for driving one visitor's browser context against the demo site. */

/**
 * How e2e tests and benchmarks launch Chromium: `npx playwright install` cannot download
 * browsers on the machines this runs on, so it is Debian's Chromium (CHROMIUM_PATH overrides).
 */
export const CHROMIUM_LAUNCH = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox', // CI runs as root
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
} satisfies LaunchOptions;

/**
 * The demo's real pages carry `<body data-page="...">`; the first-visit bootstrap document
 * (which installs the worker, then reloads) does not, so this tells the two apart.
 */
export const SITE_PAGE_SELECTOR = 'body[data-page]';

/** The bootstrap waits up to 3 s for the worker before it reloads; a cold worker is slower. */
const PAGE_READY_TIMEOUT_MS = 20_000;
const CONTROLLER_TIMEOUT_MS = 15_000;
const IMAGE_DECODE_TIMEOUT_MS = 15_000;

/**
 * A new, isolated visitor: its own cookies, cache, IndexedDB and service worker. It gets the
 * project's options (baseURL, serviceWorkers) like the default context. The caller closes it;
 * prefer the `newVisitor` fixture, which closes its contexts when the test ends.
 */
export function newContext(
  browser: Browser,
  options: BrowserContextOptions = {},
): Promise<BrowserContext> {
  return browser.newContext(options);
}

/**
 * Collects console errors (of pages and of the service worker, which Playwright reports on
 * the context) and uncaught exceptions, as readable lines, into the returned live array.
 * Attach it before the first navigation.
 */
export function collectConsoleErrors(target: BrowserContext | Page): string[] {
  const errors: string[] = [];
  const onConsole = (message: {
    type(): string;
    text(): string;
    location(): { url: string; lineNumber: number };
  }) => {
    if (message.type() !== 'error') return;
    const { url, lineNumber } = message.location();
    errors.push(url ? `${message.text()} (${url}:${lineNumber})` : message.text());
  };
  const onUncaught = (error: Error) => errors.push(`uncaught: ${error.stack ?? error.message}`);
  if ('newPage' in target) {
    target.on('console', onConsole);
    target.on('weberror', (webError) => onUncaught(webError.error()));
  } else {
    target.on('console', onConsole);
    target.on('pageerror', onUncaught);
  }
  return errors;
}

/** Counts top-level navigations of `page` from now on (a reload loop shows up here). */
export function countNavigations(page: Page): () => number {
  let count = 0;
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) count++;
  });
  return () => count;
}

/**
 * Navigates to `path` (relative to baseURL) and waits for the real page to finish loading,
 * past a first-visit bootstrap document and its reload.
 */
export async function gotoSitePage(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await waitForSitePage(page);
}

/** Waits until the current document is a real site page (not the bootstrap) and loaded. */
export async function waitForSitePage(page: Page): Promise<void> {
  await page.waitForFunction(
    (selector) => document.readyState === 'complete' && document.querySelector(selector) !== null,
    SITE_PAGE_SELECTOR,
    { timeout: PAGE_READY_TIMEOUT_MS },
  );
}

/** Waits until a service worker controls the page; returns the worker's script URL. */
export async function waitForController(
  page: Page,
  timeout = CONTROLLER_TIMEOUT_MS,
): Promise<string> {
  const handle = await page.waitForFunction(
    () => navigator.serviceWorker?.controller?.scriptURL,
    undefined,
    { timeout },
  );
  // waitForFunction resolved, so the URL is set.
  return (await handle.jsonValue())!;
}

/** The script URL of the worker controlling the page, or null. */
export function controllerScript(page: Page): Promise<string | null> {
  return page.evaluate(() => navigator.serviceWorker?.controller?.scriptURL ?? null);
}

export interface ImagesReport {
  /** How many <img> elements the document has. */
  count: number;
  /** URL and reason for each one that did not decode to a non-empty image. */
  undecoded: string[];
}

/**
 * Waits for every <img> of the document to load and decode (`img.decode()`), and reports
 * those that did not, or that decoded with naturalWidth 0. Lazy images off screen would never
 * load: the demo loads eagerly.
 */
export function allImagesDecoded(
  page: Page,
  timeoutMs = IMAGE_DECODE_TIMEOUT_MS,
): Promise<ImagesReport> {
  return page.evaluate(async (timeout) => {
    const images = Array.from(document.images);
    const decodeOrTimeout = (img: HTMLImageElement) =>
      Promise.race([
        img.decode().then(() => (img.naturalWidth > 0 ? null : 'naturalWidth is 0')),
        new Promise<string>((done) =>
          setTimeout(() => done(`not decoded in ${timeout} ms`), timeout),
        ),
      ]).catch((err: unknown) => `decode failed: ${err}`);
    const results = await Promise.all(images.map(decodeOrTimeout));
    return {
      count: images.length,
      undecoded: results.flatMap((reason, i) =>
        reason === null ? [] : [`${images[i]?.currentSrc || images[i]?.src}: ${reason}`],
      ),
    };
  }, timeoutMs);
}
