import { Route } from 'workbox-routing';
import { BEACON_PATH, PATHS, RELEASE_HEADER } from '../protocol/index.js';
import type { AssetDeps } from './asset-request.js';
import type { ManifestSource } from './manifest-source.js';
import { networkFirst } from './offline-navigation.js';
import type { PageStore } from './page-copy.js';
import { respondWithAsset } from './respond-with-asset.js';

/**
 * Keeps the worker alive for `promise`. Late work (a page that arrived after its copy was
 * served) may find the event over: it then runs as long as the worker does, which is no worse.
 */
function keepAlive(event: FetchEvent, promise: Promise<unknown>): void {
  try {
    event.waitUntil(promise);
  } catch {
    void promise;
  }
}

/** Tells the manifest which release the origin named (a refresh it starts outlives the response). */
function noticed(manifests: ManifestSource, event: FetchEvent, response: Response): Response {
  manifests.noticeRelease(response.headers.get(RELEASE_HEADER));
  keepAlive(event, manifests.settled());
  return response;
}

/**
 * Navigations, network first (see networkFirst), through the navigation preload request: it
 * starts in parallel with the worker and tells the origin (by its header) that a worker controls
 * this visitor, so `peerconnect serve` never sends a worker-controlled tab the first-visit
 * bootstrap. A disabled root routes nothing: the browser fetches as if PeerConnect were not there.
 */
export function navigationRoute(
  manifests: ManifestSource,
  store: () => Promise<PageStore | undefined>,
): Route {
  return new Route(
    ({ request }) => request.mode === 'navigate' && !manifests.peek()?.disabled,
    ({ event, request }) => {
      const fetchEvent = event as FetchEvent;
      manifests.maybeRevalidate();
      keepAlive(fetchEvent, manifests.settled());
      const network = Promise.resolve(fetchEvent.preloadResponse).then(
        (preloaded: Response | undefined) => preloaded ?? fetch(request),
      );
      return networkFirst(request.url, network, {
        store,
        waitUntil: (promise) => keepAlive(fetchEvent, promise),
        onNetwork: (response) => noticed(manifests, fetchEvent, response),
      });
    },
  );
}

function isOwnPath(pathname: string): boolean {
  return pathname === PATHS.serviceWorker || pathname.startsWith('/peerconnect/');
}

/**
 * Every same-origin GET but PeerConnect's own files: whether the manifest lists the path is
 * known only once its shard is in (fetched on demand), so the handler asks, and a path it does
 * not list goes to the network unchanged. A disabled root routes nothing.
 */
export function assetRoute(manifests: ManifestSource, deps: AssetDeps): Route {
  return new Route(
    ({ url, request, sameOrigin }) =>
      sameOrigin &&
      request.method === 'GET' &&
      request.mode !== 'navigate' &&
      !isOwnPath(url.pathname) &&
      !manifests.peek()?.disabled,
    async ({ url, request, event }) => {
      const fetchEvent = event as FetchEvent;
      const resolved = await manifests.resolve(url.pathname);
      if (!resolved) return noticed(manifests, fetchEvent, await fetch(request));
      const response = await respondWithAsset(
        {
          request,
          url,
          asset: resolved.asset,
          release: resolved.release,
          clientId: fetchEvent.clientId || fetchEvent.resultingClientId,
          waitUntil: (promise) => fetchEvent.waitUntil(promise),
        },
        deps,
      );
      return noticed(manifests, fetchEvent, response);
    },
  );
}

/**
 * The stats beacon, fetched by the worker itself: left to the browser, a beacon sent as the
 * page unloads was lost about one time in five once a worker controls the page (measured in
 * e2e/dashboard.spec.ts: 5 of 23 runs, 0 of 20 with this route).
 */
export function beaconRoute(): Route {
  return new Route(
    ({ url, sameOrigin }) => sameOrigin && url.pathname === BEACON_PATH,
    ({ request }) => fetch(request),
    'POST',
  );
}
