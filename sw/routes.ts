import { Route } from 'workbox-routing';
import { BEACON_PATH, PATHS } from '../protocol/index.js';
import type { AssetDeps } from './asset-request.js';
import type { ManifestSource } from './manifest-source.js';
import { respondWithAsset } from './respond-with-asset.js';

/**
 * Navigations pass through untouched, but through the navigation preload request: it starts in
 * parallel with the worker and tells the origin (by its header) that a worker controls this
 * visitor, so `peerconnect serve` never sends a worker-controlled tab the first-visit bootstrap.
 */
export function navigationRoute(manifests: ManifestSource): Route {
  return new Route(
    ({ request }) => request.mode === 'navigate',
    async ({ event, request }) => {
      manifests.maybeRevalidate();
      const preloaded = await (event as FetchEvent).preloadResponse;
      return preloaded ?? fetch(request);
    },
  );
}

function isOwnPath(pathname: string): boolean {
  return pathname === PATHS.serviceWorker || pathname.startsWith('/peerconnect/');
}

/**
 * Same-origin GETs of manifest assets. Before the manifest is in memory (a worker that was
 * just started) every same-origin GET is routed and checked against it once it has loaded.
 */
export function assetRoute(manifests: ManifestSource, deps: AssetDeps): Route {
  return new Route(
    ({ url, request, sameOrigin }) => {
      if (!sameOrigin || request.method !== 'GET' || request.mode === 'navigate') return false;
      if (isOwnPath(url.pathname)) return false;
      const index = manifests.peek();
      return index ? index.indexOf(url.pathname) !== undefined : true;
    },
    async ({ url, request, event }) => {
      const fetchEvent = event as FetchEvent;
      const manifest = await manifests.get();
      const index = manifest?.indexOf(url.pathname);
      const asset = index === undefined ? undefined : manifest?.get(index);
      if (!manifest || index === undefined || !asset) return fetch(request);
      return respondWithAsset(
        {
          request,
          url,
          asset,
          index,
          manifestVersion: manifest.version,
          clientId: fetchEvent.clientId || fetchEvent.resultingClientId,
          waitUntil: (promise) => fetchEvent.waitUntil(promise),
        },
        deps,
      );
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
