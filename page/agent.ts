import { PATHS } from '../protocol/index.js';
import { PeerConnectApi } from './api.js';
import { missingPageFeatures } from './feature-support.js';
import { recheckStandDown, stoodDown } from './kill-switch.js';
import { runWhenLeader } from './leader-election.js';
import { debug } from './log.js';
import { beaconUrl, configuredIceServers, signalUrl, startLeaderAgent } from './peer-agent.js';
import { startStatsBeacon } from './stats-beacon.js';
import { uploadPolicyOf } from './upload-policy.js';

declare global {
  interface Window {
    peerconnect?: PeerConnectApi;
  }
}

/**
 * The one script a site includes (`peerconnect serve` adds it): it registers the service
 * worker, exposes `window.peerconnect`, and, in one tab per origin, runs the peer agent; in a
 * browser that lacks anything PeerConnect relies on, it does nothing.
 */
function main(): void {
  if (window.peerconnect) return;
  const missing = missingPageFeatures();
  if (missing.length > 0) {
    // The plain site: no worker, no peers, no window.peerconnect.
    debug('PeerConnect steps aside; this browser lacks', missing.join(', '));
    return;
  }
  if (stoodDown()) {
    // The site stood PeerConnect down: the plain site, until its root says otherwise.
    debug('PeerConnect is disabled by the site');
    void recheckStandDown();
    return;
  }
  const script = document.currentScript as HTMLScriptElement | null;
  const api = new PeerConnectApi({
    policy: uploadPolicyOf(script?.dataset),
    consentRequired: script?.dataset.consent === 'required',
  });
  window.peerconnect = api;
  navigator.serviceWorker
    .register(PATHS.serviceWorker, { scope: '/', updateViaCache: 'none' })
    .catch((err) => debug('service worker registration failed', err));
  const url = signalUrl(script);
  startStatsBeacon(api, undefined, beaconUrl(url));
  runWhenLeader(() => {
    debug('leading this origin');
    api.becomeLeader();
    startLeaderAgent({
      api,
      signalUrl: url,
      iceServers: configuredIceServers(script),
    }).catch((err) => debug('peer agent failed to start', err));
  });
}

main();
