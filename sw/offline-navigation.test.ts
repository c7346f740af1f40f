import { afterEach, describe, expect, it, vi } from 'vitest';
import { STORE_LIMITS } from '../store/index.js';
import { openTestStore, SITE } from './asset-fixture.test-helper.js';
import { DEADLINES } from './deadlines.js';
import { networkFirst } from './offline-navigation.js';
import { isKeepable, OFFLINE_HEADER } from './page-copy.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

const PAGE = `${SITE}/docs/page.html`;
const HTML = '<!doctype html><title>the real page</title>';

function page(
  body: BodyInit | null,
  init: { status?: number; headers?: Record<string, string> } = {},
) {
  return new Response(body, {
    status: init.status ?? 200,
    headers: { 'content-type': 'text/html; charset=utf-8', ...init.headers },
  });
}

/** A navigation with its background work collected, over a real store. */
async function navigator() {
  const store = await openTestStore();
  const waits: Promise<unknown>[] = [];
  const deps = { store: async () => store, waitUntil: (p: Promise<unknown>) => waits.push(p) };
  const navigate = (network: Promise<Response>, url = PAGE) => networkFirst(url, network, deps);
  const settled = async () => {
    for (let seen = -1; seen !== waits.length; ) {
      seen = waits.length;
      await Promise.all(waits);
    }
  };
  return { store, navigate, settled };
}

describe('isKeepable', () => {
  it('keeps a plain 200 HTML page only', () => {
    expect(isKeepable(page(HTML))).toBe(true);
    expect(isKeepable(page(HTML, { headers: { 'cache-control': 'max-age=60, public' } }))).toBe(
      true,
    );
    for (const cacheControl of ['no-store', 'private', 'max-age=0, No-Store', 'private="x"']) {
      expect(isKeepable(page(HTML, { headers: { 'cache-control': cacheControl } }))).toBe(false);
    }
    expect(isKeepable(page(HTML, { status: 404 }))).toBe(false);
    expect(isKeepable(page(HTML, { headers: { 'content-type': 'text/plain' } }))).toBe(false);
    expect(isKeepable(page(HTML, { headers: { 'content-type': 'text/htmlx' } }))).toBe(false);
    expect(isKeepable(page(null))).toBe(false);
  });
});

describe('networkFirst', () => {
  it('answers with the network page and keeps a copy without cookie, encoding or fragment', async () => {
    const { store, navigate, settled } = await navigator();
    const response = await navigate(
      Promise.resolve(
        page(HTML, {
          headers: { 'content-encoding': 'gzip', 'x-kept': 'yes', 'set-cookie': 'a=b' },
        }),
      ),
      `${PAGE}#section`,
    );
    expect(await response.text()).toBe(HTML);
    expect(response.headers.has(OFFLINE_HEADER)).toBe(false);
    await settled();
    const copy = await store.getPage(PAGE);
    expect(await copy?.body.text()).toBe(HTML);
    const names = copy?.headers.map(([name]) => name.toLowerCase());
    expect(names).toContain('x-kept');
    expect(names).not.toContain('set-cookie');
    expect(names).not.toContain('content-encoding');
  });

  it('serves the stored copy when the network fails or answers 5xx', async () => {
    const { navigate, settled } = await navigator();
    await (await navigate(Promise.resolve(page(HTML)))).text();
    await settled();
    for (const network of [
      Promise.reject(new TypeError('connection refused')),
      Promise.resolve(page('bad gateway', { status: 502 })),
    ]) {
      const response = await navigate(network);
      expect(response.headers.get(OFFLINE_HEADER)).toBe('1');
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(HTML);
    }
  });

  it('never keeps a no-store page (the first-visit bootstrap), a private one or an oversized one', async () => {
    const { store, navigate, settled } = await navigator();
    const big = new Uint8Array(STORE_LIMITS.maxPageBytes + 1).fill(0x61);
    for (const [body, headers] of [
      ['bootstrap', { 'cache-control': 'no-store' }],
      ['mine', { 'cache-control': 'private, max-age=10' }],
      [big, {}],
    ] as const) {
      const response = await navigate(Promise.resolve(page(body, { headers })));
      await response.arrayBuffer();
      await settled();
      expect(await store.getPage(PAGE)).toBeUndefined();
    }
    // With no copy, a failing network fails the navigation as it would without PeerConnect.
    await expect(navigate(Promise.reject(new TypeError('down')))).rejects.toThrow('down');
    const unavailable = await navigate(Promise.resolve(page('down', { status: 503 })));
    expect(unavailable.status).toBe(503);
  });

  it('serves the copy after the deadline when the network is slow, and the late page refreshes it', async () => {
    const { store, navigate, settled } = await navigator();
    await (await navigate(Promise.resolve(page(HTML)))).text();
    await settled();
    let arrive: (response: Response) => void = () => {};
    const slow = new Promise<Response>((resolve) => {
      arrive = resolve;
    });
    const started = Date.now();
    const response = await navigate(slow);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(DEADLINES.offlineNavigationMs - 50);
    expect(waited).toBeLessThan(DEADLINES.offlineNavigationMs + 500);
    expect(response.headers.get(OFFLINE_HEADER)).toBe('1');
    expect(await response.text()).toBe(HTML);
    arrive(page('<title>newer</title>'));
    await settled();
    expect(await (await store.getPage(PAGE))?.body.text()).toBe('<title>newer</title>');
  }, 10_000);

  it('keeps waiting for a slow network when there is no copy', async () => {
    const { navigate } = await navigator();
    let arrive: (response: Response) => void = () => {};
    const slow = new Promise<Response>((resolve) => {
      arrive = resolve;
    });
    setTimeout(() => arrive(page(HTML)), DEADLINES.offlineNavigationMs + 300);
    const response = await navigate(slow);
    expect(response.headers.has(OFFLINE_HEADER)).toBe(false);
    expect(await response.text()).toBe(HTML);
  }, 10_000);
});
