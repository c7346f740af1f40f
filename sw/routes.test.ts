import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PATHS, RELEASE_HEADER } from '../protocol/index.js';
import type { AssetStore } from '../store/index.js';
import {
  CLIENT_ID,
  makeAsset,
  openTestStore,
  recordServed,
  SITE,
  sameBytes,
} from './asset-fixture.test-helper.js';
import { DEADLINES } from './deadlines.js';
import { FakeBridge } from './fake-bridge.test-helper.js';
import { emptyAsset, ManifestOrigin } from './manifest-fixture.test-helper.js';
import { ManifestSource } from './manifest-source.js';
import { OFFLINE_HEADER } from './page-copy.js';
import { PrivateAssets } from './private-content.js';
import { assetRoute, navigationRoute } from './routes.js';

// workbox-routing reads `self` as it loads: the worker's global scope, here Node's.
vi.hoisted(() => {
  Object.assign(globalThis, { self: globalThis });
});

const { asset, bytes } = makeAsset('/img/hero.bin', 5000);

let store: AssetStore;
let manifestOrigin: ManifestOrigin;
let manifests: ManifestSource;
/** Paths the page's own requests reached the network with. */
let network: string[];
/** The release the site's responses name. */
let releaseHeader: string;

beforeEach(async () => {
  store = await openTestStore();
  recordServed();
  manifestOrigin = await ManifestOrigin.publish([asset, emptyAsset('/other.txt')]);
  releaseHeader = manifestOrigin.version;
  manifests = new ManifestSource(async () => store, manifestOrigin.fetch);
  network = [];
  vi.stubGlobal('fetch', async (input: RequestInfo | URL) => {
    const path = new URL(input instanceof Request ? input.url : String(input)).pathname;
    network.push(path);
    const headers = { [RELEASE_HEADER]: releaseHeader, 'content-type': 'text/html' };
    if (path === asset.path) return new Response(bytes, { headers });
    return new Response(`plain ${path}`, { headers });
  });
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

function fetchEvent(preloadResponse: Promise<Response | undefined> = Promise.resolve(undefined)) {
  const waits: Promise<unknown>[] = [];
  const event = {
    clientId: CLIENT_ID,
    resultingClientId: '',
    preloadResponse,
    waitUntil: (promise: Promise<unknown>) => waits.push(promise),
  } as unknown as FetchEvent;
  const settled = async () => {
    for (let seen = -1; seen !== waits.length; ) {
      seen = waits.length;
      await Promise.all(waits);
    }
  };
  return { event, settled };
}

async function route(
  which: ReturnType<typeof assetRoute>,
  path: string,
  init: RequestInit & { preload?: Promise<Response | undefined> } = {},
) {
  const url = new URL(path, SITE);
  const request = new Request(url, init);
  const { event, settled } = fetchEvent(init.preload);
  const matched = which.match({ url, request, sameOrigin: true, event });
  if (!matched) return { matched: false as const, settled };
  const response = await which.handler.handle({ url, request, event, params: undefined });
  return { matched: true as const, response, settled };
}

describe('assetRoute', () => {
  it('serves a listed path as an asset and passes an unlisted one to the network unchanged', async () => {
    const bridge = new FakeBridge({ bytes, refuse: 'agent-unavailable' });
    const assets = assetRoute(manifests, {
      store: async () => store,
      bridge,
      privateAssets: new PrivateAssets(),
    });
    const listed = await route(assets, asset.path);
    expect(sameBytes(new Uint8Array(await listed.response!.arrayBuffer()), bytes)).toBe(true);
    await listed.settled();
    expect(bridge.opened).toEqual([asset]);
    expect(bridge.stored).toEqual([asset.sha256]);
    expect((await store.records())[0]?.releases).toEqual([manifestOrigin.version]);

    const unlisted = await route(assets, '/not-in-the-manifest.js');
    expect(await unlisted.response?.text()).toBe('plain /not-in-the-manifest.js');
    expect(network).toEqual([asset.path, '/not-in-the-manifest.js']);
    // PeerConnect's own files, other methods and navigations are not routed here.
    expect((await route(assets, PATHS.manifest)).matched).toBe(false);
    expect((await route(assets, asset.path, { method: 'POST' })).matched).toBe(false);
  });

  it('refreshes the root when a response names another release, and serves by the new one', async () => {
    const bridge = new FakeBridge({ bytes, refuse: 'agent-unavailable' });
    const assets = assetRoute(manifests, {
      store: async () => store,
      bridge,
      privateAssets: new PrivateAssets(),
    });
    await (await route(assets, '/other.txt')).settled();
    const changed = makeAsset('/img/hero.bin', 5000, 2).asset;
    await manifestOrigin.release([changed, emptyAsset('/other.txt')]);
    releaseHeader = manifestOrigin.version;
    const roots = () => manifestOrigin.requests.filter((path) => path === PATHS.manifest).length;
    expect(roots()).toBe(1);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + DEADLINES.releaseRecheckMs);
    await (await route(assets, '/other.txt')).settled();
    vi.useRealTimers();
    expect(roots()).toBe(2);
    expect(manifests.peek()?.version).toBe(manifestOrigin.version);
    // The origin's bytes are the old file's: never stored under the new record.
    const stale = await route(assets, asset.path);
    await stale.response?.arrayBuffer();
    await stale.settled();
    expect(bridge.opened).toEqual([changed]);
    expect(await store.has(changed.sha256)).toBe(false);
  });

  it('routes nothing once the root is disabled (the kill switch)', async () => {
    await manifestOrigin.release([asset], { disabled: true });
    await manifests.refresh();
    const bridge = new FakeBridge({ bytes });
    const assets = assetRoute(manifests, {
      store: async () => store,
      bridge,
      privateAssets: new PrivateAssets(),
    });
    expect((await route(assets, asset.path)).matched).toBe(false);
    const pages = navigationRoute(manifests, async () => store);
    expect((await route(pages, '/index.html', { mode: 'same-origin' })).matched).toBe(false);
    expect(bridge.opened).toEqual([]);
  });
});

describe('navigationRoute', () => {
  const navigate = (path: string, preload?: Promise<Response | undefined>) => {
    const request = new Request(new URL(path, SITE));
    // `mode: 'navigate'` cannot be set on a constructed Request: match on a stand-in.
    Object.defineProperty(request, 'mode', { value: 'navigate' });
    const url = new URL(path, SITE);
    const { event, settled } = fetchEvent(preload);
    const pages = navigationRoute(manifests, async () => store);
    expect(pages.match({ url, request, sameOrigin: true, event })).toBeTruthy();
    return { response: pages.handler.handle({ url, request, event, params: undefined }), settled };
  };

  it('uses the preload response as the network page, and its copy when the origin is down', async () => {
    const preloaded = new Response('<p>preloaded</p>', {
      headers: { 'content-type': 'text/html' },
    });
    const first = navigate('/docs/', Promise.resolve(preloaded));
    expect(await (await first.response).text()).toBe('<p>preloaded</p>');
    await first.settled();
    expect(network).toEqual([]);

    const down = navigate('/docs/', Promise.reject(new TypeError('connection refused')));
    const offline = await down.response;
    expect(offline.headers.get(OFFLINE_HEADER)).toBe('1');
    expect(await offline.text()).toBe('<p>preloaded</p>');
  });

  it('fetches the page itself without a preload response', async () => {
    const page = navigate('/about.html');
    expect(await (await page.response).text()).toBe('plain /about.html');
    expect(network).toEqual(['/about.html']);
  });
});
