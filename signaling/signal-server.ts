import type { IncomingMessage, Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import { type IceServer, SIGNALING_LIMITS } from '../protocol/index.js';
import { addressKey } from './address-key.js';
import { AddressLimits } from './address-limits.js';
import { Cluster, type ClusterHealth } from './cluster.js';
import { Heartbeat } from './heartbeat.js';
import { SignalConnection } from './signal-connection.js';
import {
  CLOSE_CODES,
  DEFAULT_MIN_SWARM,
  type RefusalReason,
  SIGNAL_SERVER_LIMITS,
  UPGRADE_STATUS,
} from './signal-limits.js';
import { createSignalMetrics } from './signal-metrics.js';
import { SwarmDirectory } from './swarm-directory.js';
import { allowedOriginOf, swarmKeyOf } from './swarm-key.js';
import { addUpgradeRoute, refuseUpgrade } from './upgrade-router.js';

/** What a trusted proxy in front says about a client (origin's ProxyTrust fits). */
export interface ProxyView {
  /** The client's address: the connection's, or a trusted proxy's X-Forwarded-For. */
  clientAddress(request: IncomingMessage): string;
  /** The scheme the client used: the connection's, or a trusted proxy's X-Forwarded-Proto. */
  scheme(request: IncomingMessage): 'http' | 'https';
}

/** The HTTP answer to each refused upgrade. */
const UPGRADE_REFUSALS = {
  'bad-host': [UPGRADE_STATUS.badRequest, 'Bad Request'],
  origin: [UPGRADE_STATUS.forbidden, 'Forbidden'],
  'address-connections': [UPGRADE_STATUS.tooManyRequests, 'Too Many Requests'],
  'address-rate': [UPGRADE_STATUS.tooManyRequests, 'Too Many Requests'],
} as const satisfies Partial<Record<RefusalReason, readonly [number, string]>>;
type UpgradeRefusal = keyof typeof UPGRADE_REFUSALS;

export interface SignalingOptions {
  /** URL path of the WebSocket endpoint, e.g. PATHS.signal. */
  path: string;
  registry: Registry;
  /** Ping interval; defaults to SIGNAL_SERVER_LIMITS.heartbeatIntervalMs (tests shorten it). */
  heartbeatIntervalMs?: number;
  /**
   * The STUN/TURN servers to tell a client in its `welcome`, from the request that opened its
   * WebSocket (called once per join; must not throw). Without it, `welcome` has no iceServers.
   */
  iceServers?: (request: Pick<IncomingMessage, 'headers'>) => IceServer[];
  /**
   * Other peers a swarm must have before any peer is told who holds what (`--min-swarm`): an
   * integer in 1..SIGNALING_LIMITS.maxMinSwarm, default DEFAULT_MIN_SWARM. Throws RangeError
   * for anything else.
   */
  minSwarm?: number;
  /**
   * Origins besides the server's own whose pages may use this signaling (`--allowed-origins`):
   * http(s) URLs, reduced to their origins. Throws RangeError for anything else. Upgrades with
   * any other Origin, `null` included, are refused with 403; those without one (no browser)
   * join the server's own origin.
   */
  allowedOrigins?: readonly string[];
  /**
   * Whose forwarding headers to believe (`--trust-proxy`, as origin's ProxyTrust). Without it,
   * a client is the TCP peer's address and the connection's scheme.
   */
  proxyTrust?: ProxyView;
  /** Where operator warnings go (default: nowhere). */
  log?: (line: string) => void;
  /**
   * `redis://host:port` (`--redis`): share swarms with the other nodes on this Redis
   * (cluster.ts). Without it, this process is the whole signaling service.
   */
  redis?: string;
}

export interface Signaling {
  /** Closes every client with 1001 and stops accepting new ones. */
  close(): Promise<void>;
  /** Redis health for healthz; undefined without `redis`. */
  redis(): ClusterHealth | undefined;
}

/** Serves the signaling WebSocket at `options.path` on `server`, beside its other routes. */
export function attachSignaling(
  server: Server | HttpsServer,
  options: SignalingOptions,
): Signaling {
  const directory = new SwarmDirectory(checkMinSwarm(options.minSwarm ?? DEFAULT_MIN_SWARM));
  const allowed = new Set((options.allowedOrigins ?? []).map(allowedOriginOf));
  const proxy = options.proxyTrust ?? DIRECT;
  const addresses = new AddressLimits();
  const connections = new Set<SignalConnection>();
  const heartbeat = new Heartbeat<SignalConnection>(
    options.heartbeatIntervalMs ?? SIGNAL_SERVER_LIMITS.heartbeatIntervalMs,
  );
  let warnedOfProxy = false;
  const metrics = createSignalMetrics(options.registry, {
    connections: () => connections.size,
    swarms: () => directory.size,
    largestSwarm: () => directory.largestSwarm,
    announcedIds: () => directory.announced,
  });
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: SIGNALING_LIMITS.maxMessageBytes,
    // One message per event-loop turn: libuv hands over a socket's whole backlog at once, and a
    // burst of full announces (~1 ms each) would otherwise hold every other client for ~90 ms.
    allowSynchronousEvents: false,
  });
  const cluster =
    options.redis === undefined
      ? undefined
      : new Cluster({
          url: options.redis,
          directory,
          registry: options.registry,
          signalMetrics: metrics,
          ...(options.log && { log: options.log }),
        });
  directory.events = cluster;
  let closing: Promise<void> | undefined;

  const refuse = (socket: Duplex, reason: UpgradeRefusal): void => {
    metrics.refuse(reason);
    const [status, text] = UPGRADE_REFUSALS[reason];
    refuseUpgrade(socket, status, text);
  };

  /** Once: an untrusted proxy puts every visitor under its own address's caps. */
  const warnOfProxy = (request: IncomingMessage, key: string): void => {
    if (warnedOfProxy || request.headers['x-forwarded-for'] === undefined) return;
    if (proxy.clientAddress(request) !== request.socket.remoteAddress) return;
    warnedOfProxy = true;
    options.log?.(
      `peerconnect: refusing signaling connections from ${key} (too many), which sends ` +
        'X-Forwarded-For: if it is your proxy, start with --trust-proxy naming it',
    );
  };

  const removeRoute = addUpgradeRoute(server, options.path, (request, socket, head) => {
    const swarmKey = swarmKeyOf(request.headers, proxy.scheme(request), allowed);
    if (swarmKey === 'origin' || swarmKey === 'bad-host') return refuse(socket, swarmKey);
    const key = addressKey(proxy.clientAddress(request));
    const address = addresses.admit(key);
    if (typeof address === 'string') {
      warnOfProxy(request, key);
      return refuse(socket, address);
    }
    // ws answers a bad handshake itself without calling back: the slot is freed here then.
    let adopted = false;
    socket.once('close', () => {
      if (!adopted) addresses.release(address);
    });
    wss.handleUpgrade(request, socket, head, (ws) => {
      adopted = true;
      const { iceServers } = options;
      // Only the Host header is kept for the connection's life, not the whole request.
      const headers = { host: request.headers.host };
      const connection = new SignalConnection(
        ws,
        {
          directory,
          metrics,
          swarmKey,
          address,
          ...(iceServers && { iceServers: () => iceServers({ headers }) }),
        },
        () => {
          connections.delete(connection);
          heartbeat.delete(connection);
          addresses.release(address);
        },
      );
      connections.add(connection);
      heartbeat.add(connection);
      // A handshake that completed while shutting down would otherwise be left open.
      if (closing) void connection.shutdown(CLOSE_CODES.goingAway, 'server shutting down');
    });
  });

  const sweep = setInterval(() => addresses.sweep(), SIGNAL_SERVER_LIMITS.addressSweepMs);
  sweep.unref();

  async function shutdown(): Promise<void> {
    heartbeat.stop();
    clearInterval(sweep);
    removeRoute();
    await Promise.all(
      [...connections].map((c) => c.shutdown(CLOSE_CODES.goingAway, 'server shutting down')),
    );
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await cluster?.close();
    metrics.remove();
  }

  return {
    close: () => {
      closing ??= shutdown();
      return closing;
    },
    redis: () => cluster?.health(),
  };
}

/** No proxy: the TCP peer is the client, and TLS on this socket is its scheme. */
const DIRECT: ProxyView = {
  clientAddress: (request) => request.socket.remoteAddress ?? '',
  scheme: (request) =>
    'encrypted' in request.socket && request.socket.encrypted === true ? 'https' : 'http',
};

function checkMinSwarm(minSwarm: number): number {
  if (!Number.isInteger(minSwarm) || minSwarm < 1 || minSwarm > SIGNALING_LIMITS.maxMinSwarm) {
    throw new RangeError(
      `minSwarm must be an integer from 1 to ${SIGNALING_LIMITS.maxMinSwarm}, not ${minSwarm}`,
    );
  }
  return minSwarm;
}
