/// <reference lib="webworker" />
import { registerRoute, setCatchHandler } from 'workbox-routing';
import {
  BROADCAST_CHANNEL_NAME,
  missingFeatures,
  WORKER_FEATURE_GLOBALS,
} from '../protocol/index.js';
import { AssetStore } from '../store/index.js';
import { AgentBridge } from './agent-bridge.js';
import { killSwitch } from './kill-switch.js';
import { ManifestSource } from './manifest-source.js';
import { PrivateAssets } from './private-content.js';
import { releaseSweeper } from './release-sweep.js';
import { assetRoute, beaconRoute, navigationRoute } from './routes.js';

declare const self: ServiceWorkerGlobalScope;

let storePromise: Promise<AssetStore | undefined> | undefined;
/** The store, opened once; a browser without IndexedDB (or with it broken) just has no cache. */
function store(): Promise<AssetStore | undefined> {
  storePromise ??= AssetStore.open().catch(() => undefined);
  return storePromise;
}

/** Routes, bridge and lifecycle: all of PeerConnect's worker, set up on its first run. */
function start(): void {
  const manifests = new ManifestSource(store);
  const bridge = new AgentBridge();
  manifests.onChange(releaseSweeper(store, manifests));
  manifests.onChange(
    killSwitch({
      broadcast: (message) => {
        const channel = new BroadcastChannel(BROADCAST_CHANNEL_NAME);
        channel.postMessage(message);
        channel.close();
      },
      unregister: () => self.registration.unregister(),
    }),
  );
  // The saved root, read at once: a disabled one stands down without waiting for a request.
  void manifests.root();

  registerRoute(navigationRoute(manifests, store));
  registerRoute(assetRoute(manifests, { store, bridge, privateAssets: new PrivateAssets() }));
  registerRoute(beaconRoute());
  // Whatever goes wrong inside PeerConnect, the page gets what the origin alone would give it.
  setCatchHandler(({ request }) => fetch(request));

  self.addEventListener('install', () => {
    void self.skipWaiting();
    // Not waited for: a first visit's reload then overlaps this fetch instead of following it.
    void manifests.refresh();
  });

  self.addEventListener('activate', (event) => {
    event.waitUntil(
      (async () => {
        await self.registration.navigationPreload?.enable();
        await self.clients.claim();
      })(),
    );
  });

  self.addEventListener('message', (event) => {
    bridge.handleMessage(event.data, event.ports, (event.source as Client | null)?.id);
  });
}

// A worker that lacks what PeerConnect relies on does nothing: every fetch goes to the network.
if (missingFeatures(self, WORKER_FEATURE_GLOBALS).length === 0) start();
