import type { BrowserContext, Page } from '@playwright/test';
import { SITE_PAGE_SELECTOR } from '../e2e/browser.js';

/** Deadline for one page to finish loading in a benchmark (origin fallbacks included). */
export const PAGE_LOAD_TIMEOUT_MS = 30_000;

/**
 * Waits for the final document (after a first-visit bootstrap reload) to be controlled by the
 * worker (when `controlled`) with every image decoded, and returns the ms since `startedAt`.
 */
export async function waitForPageComplete(
  page: Page,
  startedAt: number,
  controlled: boolean,
): Promise<number> {
  await page.waitForFunction(
    ({ needController, selector }) =>
      document.readyState === 'complete' &&
      document.querySelector(selector) !== null &&
      (!needController || navigator.serviceWorker?.controller !== null) &&
      [...document.images].every((img) => img.complete && img.naturalWidth > 0),
    { needController: controlled, selector: SITE_PAGE_SELECTOR },
    { timeout: PAGE_LOAD_TIMEOUT_MS, polling: 10 },
  );
  return Date.now() - startedAt;
}

/**
 * Records, in every document of the context, when its first image finished loading (epoch ms,
 * so the harness can subtract its own start time).
 */
export async function recordFirstImage(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    document.addEventListener(
      'load',
      (event) => {
        const w = window as unknown as { firstImageAt?: number };
        if (event.target instanceof HTMLImageElement && w.firstImageAt === undefined) {
          w.firstImageAt = performance.timeOrigin + performance.now();
        }
      },
      true,
    );
  });
}

export function firstImageAt(page: Page): Promise<number> {
  return page.evaluate(
    () => (window as unknown as { firstImageAt?: number }).firstImageAt ?? Number.NaN,
  );
}

/** Fetches `path` in the page through its service worker; returns bytes, ms and sha-256. */
export async function fetchInPage(
  page: Page,
  path: string,
): Promise<{ bytes: number; ms: number; sha256: string; maxGapMs: number }> {
  return page.evaluate(async (url) => {
    const start = performance.now();
    const response = await fetch(url);
    const reader = response.body!.getReader();
    const parts: Uint8Array[] = [];
    let last = performance.now();
    let maxGapMs = 0;
    for (;;) {
      const { done, value } = await reader.read();
      const now = performance.now();
      maxGapMs = Math.max(maxGapMs, now - last);
      last = now;
      if (done) break;
      parts.push(value);
      (window as unknown as { benchReceived: number }).benchReceived =
        ((window as unknown as { benchReceived?: number }).benchReceived ?? 0) + value.byteLength;
    }
    const ms = performance.now() - start;
    const blob = new Blob(parts as BlobPart[]);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
    const sha256 = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
    return { bytes: blob.size, ms, sha256, maxGapMs };
  }, path);
}
