import {
  BEACON_PATH,
  ManifestIndex,
  PATHS,
  parseAndVerifyManifest,
  safeParseIceServers,
  type WorkerToAgentMessage,
} from '../protocol/index.js';
import { AssetStore } from '../store/index.js';
import { debug } from './log.js';
import type { AgentStats } from './stats.js';
import { SwarmSession } from './swarm-session.js';
import { p2pOptOutReason } from './visitor-policy.js';
import { WorkerLink } from './worker-link.js';

/** The signaling endpoint: the page script's `data-signal` attribute, else this origin's. */
export function signalUrl(script: HTMLScriptElement | null): string {
  const configured = script?.dataset.signal;
  if (configured) return configured;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${PATHS.signal}`;
}

/**
 * Where stats beacons go: the signaling server's origin, which counts them (the page's own
 * origin when signaling is there too).
 */
export function beaconUrl(signal: string): string {
  const url = new URL(signal);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  return new URL(BEACON_PATH, url).href;
}

/**
 * ICE servers the site set on the agent's script tag (`data-ice-servers`: a JSON
 * `RTCIceServer[]`, or comma-separated stun:/stuns: URLs), used when the signaling server does
 * not send its own. A malformed value is ignored (with a debug line): the signaling server's or none.
 */
export function configuredIceServers(script: HTMLScriptElement | null): RTCIceServer[] | undefined {
  const raw = script?.dataset.iceServers?.trim();
  if (!raw) return undefined;
  let input: unknown;
  try {
    input = raw.startsWith('[')
      ? JSON.parse(raw)
      : raw.split(',').map((urls) => ({ urls: urls.trim() }));
  } catch {
    debug('data-ice-servers is not JSON');
    return undefined;
  }
  const parsed = safeParseIceServers(input);
  if ('problem' in parsed) {
    debug('ignored data-ice-servers:', parsed.problem);
    return undefined;
  }
  return parsed.servers;
}

/**
 * The leader tab's agent: links to the service worker, joins the swarm of the manifest the
 * worker hands it, and serves the worker's requests from peers. A visitor who opted out (or
 * saves data) still gets a link, marked disabled, so the worker goes to the origin at once.
 */
export async function startLeaderAgent(options: {
  stats: AgentStats;
  signalUrl: string;
  iceServers: RTCIceServer[] | undefined;
}): Promise<void> {
  const optOut = p2pOptOutReason();
  const store = optOut ? undefined : await AssetStore.open().catch(() => undefined);
  let session: Promise<SwarmSession | undefined> = Promise.resolve(undefined);

  const switchManifest = async (raw: unknown, previous: SwarmSession | undefined) => {
    try {
      const manifest = await parseAndVerifyManifest(raw);
      const held = await store!.hashes();
      if (previous?.manifest.version === manifest.version) {
        // The same manifest again (the worker restarted): catch up on what it stored meanwhile.
        previous.refreshHave(held);
        return previous;
      }
      previous?.close();
      return new SwarmSession(new ManifestIndex(manifest), held, {
        signalUrl: options.signalUrl,
        iceServers: options.iceServers,
        store: store!,
        stats: options.stats,
      });
    } catch (err) {
      debug('ignored a bad manifest from the worker', err);
      return previous;
    }
  };

  const onMessage = (message: WorkerToAgentMessage, port: MessagePort | undefined) => {
    if (message.type === 'pc:manifest') {
      session = session.then((previous) => switchManifest(message.manifest, previous));
      return;
    }
    // At once, before waiting on the swarm session (its manifest check and store read can take
    // a while): the worker gives a tab that does not answer (frozen, hung) up for the origin.
    if (message.type === 'pc:fetch') port?.postMessage({ type: 'pc:accepted' });
    void session.then((current) => {
      if (message.type === 'pc:stored') {
        if (current?.manifest.version === message.manifestVersion) current.stored(message.asset);
        return;
      }
      if (!port) return;
      if (!current) {
        port.postMessage({ type: 'pc:unavailable', code: 'agent-unavailable' });
        port.close();
        return;
      }
      void current.fetch(message, port);
    });
  };

  // Closing the connections tells peers at once; a vanished tab costs them a stall deadline.
  window.addEventListener('pagehide', (event: PageTransitionEvent) => {
    // A page kept in the back/forward cache comes back with its agent; only a real unload ends it.
    if (!event.persisted) void session.then((current) => current?.close());
  });
  if (optOut) debug('peer-to-peer off:', optOut);
  await new WorkerLink(!optOut && store !== undefined, { onMessage }).start();
}
