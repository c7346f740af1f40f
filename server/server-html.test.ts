import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AGENT_SCRIPT_TAG,
  BOOT_COOKIE_HEADER,
  FIRST_VISIT_VARY,
  ORIGIN_METRIC_NAMES,
} from '../origin/index.js';
import {
  type RawResponse,
  rawRequest,
  startTestOrigin,
  type TestOrigin,
} from '../testing/index.js';

const PAGE =
  '<!doctype html><html><head><title>home</title></head><body><img src="/a.png"></body></html>';
const INJECTED = PAGE.replace('<head>', `<head>${AGENT_SCRIPT_TAG}`);
const FILES = {
  'index.html': PAGE,
  'bare.html': '<p>no head</p>',
  'has-agent.html': '<head><script src="/peerconnect/agent.js" defer></script></head>',
  'a.png': 'png',
  'no-workers.html':
    '<head><meta http-equiv="Content-Security-Policy" content="worker-src \'none\'"></head>',
};

/** What Chromium sends for a top-level navigation typed in the address bar. */
const NAVIGATION = {
  'Sec-Fetch-Mode': 'navigate',
  'Sec-Fetch-Dest': 'document',
  'Sec-Fetch-Site': 'none',
  Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
  'User-Agent':
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/141.0.0.0 Safari/537.36',
};

const origins: TestOrigin[] = [];
let inject: TestOrigin;
beforeAll(async () => {
  inject = await startTestOrigin(FILES);
  origins.push(inject);
});
afterAll(() => Promise.all(origins.map((o) => o.close())));

async function another(options: Parameters<typeof startTestOrigin>[1]): Promise<TestOrigin> {
  const origin = await startTestOrigin(FILES, options);
  origins.push(origin);
  return origin;
}

/** node:http, not fetch: fetch overwrites Sec-Fetch-Mode with its own "cors". */
const get = (
  origin: TestOrigin,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<RawResponse> => rawRequest(origin.server.port, path, { headers, method });

describe('agent injection', () => {
  it('inserts the agent after <head>, with a length and ETag of the injected body', async () => {
    const res = await get(inject, '/');
    const body = res.body;
    expect(body).toBe(INJECTED);
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(INJECTED)));
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const etag = res.headers.etag ?? '';
    const plain = await another({ inject: false, firstVisit: 'off' });
    const plainRes = await get(plain, '/');
    expect(plainRes.body).toBe(PAGE);
    expect(plainRes.headers.etag).not.toBe(etag);
    expect((await get(inject, '/index.html', { 'If-None-Match': String(etag) })).status).toBe(304);
  });

  it('applies Range to the injected body', async () => {
    const res = await get(inject, '/', { Range: 'bytes=15-60' });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 15-60/${Buffer.byteLength(INJECTED)}`);
    expect(res.body).toBe(INJECTED.slice(15, 61));
  });

  it("writes the site's agent settings on the tag, only those that differ from defaults", async () => {
    const set = await another({
      firstVisit: 'off',
      agent: {
        requireConsent: true,
        uploadBudget: 0,
        uploadRate: 1_000_000,
        uploadPeerRate: 250_000,
        allowCellular: true,
        signalUrl: 'wss://signal.example.com/peerconnect/signal?a=1&b="2"',
      },
    });
    expect((await get(set, '/bare.html')).body).toBe(
      '<script src="/peerconnect/agent.js" data-consent="required" data-upload-budget="0" ' +
        'data-upload-rate="1000000" data-upload-peer-rate="250000" data-cellular="allow" ' +
        'data-signal="wss://signal.example.com/peerconnect/signal?a=1&amp;b=&quot;2&quot;" ' +
        'async></script><p>no head</p>',
    );
    const defaults = await another({ firstVisit: 'off', agent: { uploadBudget: 50_000_000 } });
    expect((await get(defaults, '/bare.html')).body).toBe(`${AGENT_SCRIPT_TAG}<p>no head</p>`);
  });

  it('injects into a page without <head>, and not twice', async () => {
    expect(await (await get(inject, '/bare.html')).body).toBe(`${AGENT_SCRIPT_TAG}<p>no head</p>`);
    expect(await (await get(inject, '/has-agent.html')).body).toBe(FILES['has-agent.html']);
  });

  it('counts the injected length as served bytes', async () => {
    const delta = await inject.bytesDelta('other', async () => {
      await get(inject, '/');
      await get(inject, '/', {}, 'HEAD');
    });
    expect(delta).toBe(Buffer.byteLength(INJECTED));
  });
});

describe('first visit bootstrap', () => {
  it('answers a first navigation with the bootstrap document', async () => {
    const res = await get(inject, '/', NAVIGATION);
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'set-cookie': [BOOT_COOKIE_HEADER],
      vary: FIRST_VISIT_VARY,
    });
    expect(BOOT_COOKIE_HEADER).toBe('peerconnect-boot=1; Path=/; Max-Age=3600; SameSite=Lax');
    const body = res.body;
    expect(Buffer.byteLength(body)).toBeLessThan(1500);
    expect(body).toContain('<meta name="robots" content="noindex">');
    expect(body).toContain('navigator.serviceWorker');
    expect(body).not.toMatch(/<(img|script src)/);
    expect(body).not.toMatch(/<link(?![^>]*href="data:)/);
    expect(res.headers.etag).toBeUndefined();
  });

  it('varies every HTML page response on what decides it', async () => {
    const real = await get(inject, '/');
    expect(real.headers.vary).toBe(FIRST_VISIT_VARY);
    expect(FIRST_VISIT_VARY).toBe('Cookie, Service-Worker-Navigation-Preload, Sec-Fetch-Mode');
    expect((await get(inject, '/a.png', NAVIGATION)).headers.vary).toBeUndefined();
  });

  it.each([
    ['with the bootstrap cookie', { Cookie: 'peerconnect-boot=1' }],
    ['with the cookie among others', { Cookie: 'theme=dark; peerconnect-boot=1; x=y' }],
    ['under our worker (navigation preload)', { 'Service-Worker-Navigation-Preload': 'true' }],
    ['with the skip header', { 'X-PeerConnect-Bootstrap': 'skip' }],
    ['from an iframe', { 'Sec-Fetch-Dest': 'iframe' }],
    ['from fetch()', { 'Sec-Fetch-Mode': 'cors', 'Sec-Fetch-Dest': 'empty' }],
    ['from Googlebot', { 'User-Agent': 'Mozilla/5.0 (compatible; Googlebot/2.1)' }],
    ['from a link preview', { 'User-Agent': 'facebookexternalhit/1.1' }],
    ['from Slack', { 'User-Agent': 'Slackbot-LinkExpanding 1.0' }],
    ['not asking for HTML', { Accept: 'application/json' }],
  ])('serves the real page %s', async (_name, headers) => {
    const res = await get(inject, '/', { ...NAVIGATION, ...headers });
    expect(res.body).toBe(INJECTED);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers.vary).toBe(FIRST_VISIT_VARY);
  });

  it('serves the real page without Sec-Fetch headers (old browsers, curl)', async () => {
    const { 'Sec-Fetch-Mode': _m, 'Sec-Fetch-Dest': _d, ...rest } = NAVIGATION;
    expect((await get(inject, '/', rest)).body).toBe(INJECTED);
  });

  it('serves the real page to HEAD and to the no-script refresh', async () => {
    const head = await get(inject, '/', NAVIGATION, 'HEAD');
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(INJECTED)));
    expect(head.headers['set-cookie']).toBeUndefined();
    const refreshed = await get(inject, '/?a=1&peerconnect-bootstrap=skip', NAVIGATION);
    expect(refreshed.body).toBe(INJECTED);
  });

  it('steps aside for a page whose own CSP forbids PeerConnect: no bootstrap, no agent', async () => {
    const res = await get(inject, '/no-workers.html', NAVIGATION);
    expect(res.body).toBe(FILES['no-workers.html']);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('never bootstraps a non-HTML file', async () => {
    expect((await get(inject, '/a.png', NAVIGATION)).body).toBe('png');
  });

  it('cannot loop: what the bootstrap leads to gets the real page', async () => {
    const first = await get(inject, '/bare.html', NAVIGATION);
    expect(first.body).toContain('serviceWorker');
    // The browser stores the cookie, then reloads (uncontrolled, or controlled by our worker).
    const cookie = first.headers['set-cookie']?.[0]?.split(';')[0] ?? '';
    const reload = await get(inject, '/bare.html', { ...NAVIGATION, Cookie: cookie });
    expect(reload.body).toBe(`${AGENT_SCRIPT_TAG}<p>no head</p>`);
    const controlled = await get(inject, '/bare.html', {
      ...NAVIGATION,
      'Service-Worker-Navigation-Preload': 'true',
    });
    expect(controlled.body).toBe(`${AGENT_SCRIPT_TAG}<p>no head</p>`);
    // Cookies blocked and no worker: the script fetches the page with the skip header.
    const skipped = await get(inject, '/bare.html', {
      'X-PeerConnect-Bootstrap': 'skip',
      Accept: '*/*',
    });
    expect(skipped.body).toBe(`${AGENT_SCRIPT_TAG}<p>no head</p>`);
  });

  it('counts bootstrap responses', async () => {
    const before = await inject.metric(ORIGIN_METRIC_NAMES.bootstraps);
    await get(inject, '/', NAVIGATION);
    await get(inject, '/bare.html', NAVIGATION);
    await get(inject, '/', { ...NAVIGATION, Cookie: 'peerconnect-boot=1' });
    expect(await inject.metric(ORIGIN_METRIC_NAMES.bootstraps)).toBe(before + 2);
  });

  it('is off with --first-visit off: the real page, no Vary', async () => {
    const off = await another({ firstVisit: 'off' });
    const res = await get(off, '/', NAVIGATION);
    expect(res.body).toBe(INJECTED);
    expect(res.headers.vary).toBeUndefined();
    expect(res.headers['set-cookie']).toBeUndefined();
  });
});
