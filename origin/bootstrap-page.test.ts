import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { NAVIGATOR_FEATURES, PAGE_FEATURE_GLOBALS } from '../protocol/index.js';
import { bootstrapPage, WORKER_CONTROL_DEADLINE_MS } from './bootstrap-page.js';
import { parseRequestTarget, type RequestTarget } from './request-target.js';

function target(url: string): RequestTarget {
  const parsed = parseRequestTarget(url);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.target;
}

const PAGE = bootstrapPage(target('/docs/page.html?q=1'));
const SCRIPT = /<script>([\s\S]*)<\/script>/.exec(PAGE)?.[1] ?? '';

describe('bootstrap document', () => {
  it('is tiny, not indexed, and refreshes script-less clients to the real page', () => {
    expect(Buffer.byteLength(PAGE)).toBeLessThan(1500);
    expect(PAGE).toContain('<meta name="robots" content="noindex">');
    expect(PAGE).toContain(
      '<noscript><meta http-equiv="refresh" content="0; url=/docs/page.html?q=1&amp;peerconnect-bootstrap=skip"></noscript>',
    );
    expect(bootstrapPage(target('/a'))).toContain('url=/a?peerconnect-bootstrap=skip"');
  });

  it('loads nothing, not even the default favicon the browser would fetch past the worker', () => {
    expect(PAGE).toContain('<link rel="icon" href="data:,">');
    expect(PAGE).not.toMatch(/\s(?:src|href)="(?!data:)/);
  });

  it('keeps the refresh on this origin and the attribute intact', () => {
    const page = bootstrapPage(target('//evil.example/x?a="<b>'));
    expect(page).toContain('url=/evil.example/x?a=%22%3Cb%3E&amp;peerconnect-bootstrap=skip"');
  });

  it('is written in ES5, so any browser that runs it reaches a page', () => {
    expect(SCRIPT).not.toMatch(/=>|\blet\b|\bconst\b|`|\.\.\./);
  });
});

type WorkerSupport = 'registers' | 'fails' | 'absent' | 'controls-already';

/** Runs the bootstrap script against a fake browser and records what it does. */
function runScript(worker: WorkerSupport, cookieStored: boolean, lacking?: string) {
  const actions: string[] = [];
  const timers: Array<() => void> = [];
  let onControllerChange: (() => void) | undefined;
  let fetchFails = false;
  const serviceWorker = {
    controller: worker === 'controls-already' ? {} : null,
    addEventListener(type: string, listener: () => void) {
      if (type === 'controllerchange') onControllerChange = listener;
    },
    register(url: string, options: { scope: string }) {
      actions.push(`register ${url} scope=${options.scope}`);
      return worker === 'fails' ? Promise.reject(new Error('denied')) : Promise.resolve({});
    },
  };
  const body = { textContent: '' };
  const browser = {
    navigator: Object.fromEntries(
      Object.entries({ locks: {}, ...(worker === 'absent' ? {} : { serviceWorker }) }).filter(
        ([name]) => name !== lacking,
      ),
    ),
    window: Object.fromEntries(
      PAGE_FEATURE_GLOBALS.filter((name) => name !== lacking).map((name) => [name, {}]),
    ),
    document: {
      cookie: cookieStored ? 'a=b; peerconnect-boot=1' : 'a=b',
      body,
      open: () => actions.push('open'),
      write: (html: string) => actions.push(`write ${html}`),
      close: () => actions.push('close'),
    },
    location: { href: 'http://site/page', reload: () => actions.push('reload') },
    fetch(url: string, init: { headers: Record<string, string> }) {
      actions.push(`fetch ${url} ${JSON.stringify(init.headers)}`);
      if (fetchFails) return Promise.reject(new Error('offline'));
      return Promise.resolve({ text: () => Promise.resolve('<real page>') });
    },
    setTimeout(fn: () => void, ms: number) {
      expect(ms).toBe(WORKER_CONTROL_DEADLINE_MS);
      timers.push(fn);
    },
  };
  return {
    actions,
    body,
    failFetch: () => {
      fetchFails = true;
    },
    run: () => runInNewContext(SCRIPT, browser),
    controllerChange: () => {
      serviceWorker.controller = {};
      onControllerChange?.();
    },
    deadline: () => {
      for (const timer of timers) timer();
    },
    settle: () => new Promise((resolve) => setTimeout(resolve, 0)),
  };
}

const REAL_PAGE = [
  'fetch http://site/page {"X-PeerConnect-Bootstrap":"skip"}',
  'open',
  'write <real page>',
  'close',
];

describe('bootstrap script', () => {
  it('reloads once the new worker controls the page, and only once', async () => {
    const browser = runScript('registers', false);
    browser.run();
    await browser.settle();
    browser.controllerChange();
    browser.deadline();
    expect(browser.actions).toEqual(['register /peerconnect-sw.js scope=/', 'reload']);
  });

  it('at the deadline, reloads if the cookie was stored, else writes the real page in', async () => {
    const withCookie = runScript('registers', true);
    withCookie.run();
    withCookie.deadline();
    expect(withCookie.actions).toEqual(['register /peerconnect-sw.js scope=/', 'reload']);

    const noCookie = runScript('registers', false);
    noCookie.run();
    noCookie.deadline();
    await noCookie.settle();
    expect(noCookie.actions).toEqual(['register /peerconnect-sw.js scope=/', ...REAL_PAGE]);
  });

  it.each(['fails', 'absent'] as const)(
    'without a worker (%s): reload with the cookie, else the real page in place',
    async (worker) => {
      const withCookie = runScript(worker, true);
      withCookie.run();
      await withCookie.settle();
      expect(withCookie.actions.filter((a) => !a.startsWith('register'))).toEqual(['reload']);

      const noCookie = runScript(worker, false);
      noCookie.run();
      await noCookie.settle();
      noCookie.deadline();
      await noCookie.settle();
      expect(noCookie.actions.filter((a) => !a.startsWith('register'))).toEqual(REAL_PAGE);
    },
  );

  it('does not reload a page a worker already controls (it sent no preload header)', async () => {
    const browser = runScript('controls-already', true);
    browser.run();
    await browser.settle();
    expect(browser.actions).toEqual(REAL_PAGE);
  });

  it('says so if even the real page cannot be fetched', async () => {
    const browser = runScript('absent', false);
    browser.failFetch();
    browser.run();
    await browser.settle();
    expect(browser.body.textContent).toContain('could not be loaded');
  });

  it.each([...PAGE_FEATURE_GLOBALS, ...NAVIGATOR_FEATURES])(
    'installs no worker in a browser without %s, and writes the real page in',
    async (feature) => {
      const browser = runScript('registers', false, feature);
      browser.run();
      await browser.settle();
      expect(browser.actions).toEqual(REAL_PAGE);
    },
  );
});
