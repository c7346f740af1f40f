import {
  BEACON_PATH,
  PATHS,
  safeParseIceServers,
  type WorkerToAgentMessage,
} from '../protocol/index.js';
import { AssetStore, requestPersistence } from '../store/index.js';
import type { PeerConnectApi } from './api.js';
import { standDown } from './kill-switch.js';
import { debug } from './log.js';
import { SwarmSession } from './swarm-session.js';
import { adoptStoredChoice, CHOICE_KEYS, p2pOptOutReason } from './visitor-policy.js';
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
 * The leader tab's agent: links to the service worker and, once the worker says it is ready,
 * joins its site's swarm, seeds what the store holds and serves the worker's requests from
 * peers. A visitor who opted out, saves data or has not given a consent the site requires
 * still gets a link, marked disabled, so the worker goes to the origin at once; their choice
 * (on this page, or another tab's) takes effect at once. The kill switch closes everything.
 */
export async function startLeaderAgent(options: {
  api: PeerConnectApi;
  signalUrl: string;
  iceServers: RTCIceServer[] | undefined;
}): Promise<void> {
  const { api } = options;
  const { policy, consentRequired } = api.settings;
  let store: Promise<AssetStore | undefined> | undefined;
  // A chain, so that requests arriving while the session is being set up (the store opening)
  // wait for it rather than go to the origin, and a leave after a join closes what it made.
  let session: Promise<SwarmSession | undefined> = Promise.resolve(undefined);
  let disabled = false;
  let persistenceAsked = false;
  const optOut = () => (disabled ? 'disabled' : p2pOptOutReason(consentRequired));

  const openStore = () => {
    store ??= AssetStore.open().catch((err) => {
      debug('the asset store cannot be opened', err);
      return undefined;
    });
    return store;
  };

  /** The worker is ready for this agent: join (or, after a worker restart, catch up). */
  const join = () => {
    session = session.then(async (current) => {
      if (optOut()) return current;
      const opened = await openStore();
      if (!opened || optOut()) return current;
      const joined =
        current ??
        new SwarmSession({
          signalUrl: options.signalUrl,
          iceServers: options.iceServers,
          store: opened,
          stats: api.agentStats,
          policy,
        });
      if (!persistenceAsked) {
        persistenceAsked = true;
        void requestPersistence();
      }
      joined.refresh().catch((err) => debug('could not read the store', err));
      return joined;
    });
  };

  const leave = () => {
    session = session.then((current) => {
      current?.close();
      return undefined;
    });
  };

  const onMessage = (message: WorkerToAgentMessage, port: MessagePort | undefined) => {
    switch (message.type) {
      case 'pc:ready':
        join();
        return;
      case 'pc:stored':
        void session.then((current) => current?.stored(message.sha256));
        return;
      case 'pc:fetch':
        if (!port) return;
        // At once: the worker gives a tab that does not answer (frozen, hung) up for the origin.
        port.postMessage({ type: 'pc:accepted' });
        void session.then((current) => {
          if (current) return current.fetch(message, port);
          port.postMessage({ type: 'pc:unavailable', code: 'agent-unavailable' });
          port.close();
        });
        return;
    }
  };

  const link = new WorkerLink(!optOut(), {
    onMessage,
    onDisable: () => {
      debug('the site stood PeerConnect down');
      disabled = true;
      standDown();
      leave();
      link.setEnabled(false);
    },
  });
  const choiceChanged = () => {
    const reason = optOut();
    if (reason) {
      debug('peer-to-peer off:', reason);
      leave();
    }
    link.setEnabled(!reason);
  };
  api.addEventListener('choice', choiceChanged);
  window.addEventListener('storage', (event: StorageEvent) => {
    if (event.key !== null && !CHOICE_KEYS.includes(event.key)) return;
    adoptStoredChoice();
    choiceChanged();
  });
  // Closing the connections tells peers at once; a vanished tab costs them a stall deadline.
  window.addEventListener('pagehide', (event: PageTransitionEvent) => {
    // A page kept in the back/forward cache comes back with its agent; only a real unload ends it.
    if (!event.persisted) leave();
  });
  const reason = optOut();
  if (reason) debug('peer-to-peer off:', reason);
  await link.start();
}
