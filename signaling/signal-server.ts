import type { IncomingMessage, Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import { type IceServer, SIGNALING_LIMITS } from '../protocol/index.js';
import { SignalConnection } from './signal-connection.js';
import { CLOSE_CODES, DEFAULT_MIN_SWARM, SIGNAL_SERVER_LIMITS } from './signal-limits.js';
import { createSignalMetrics } from './signal-metrics.js';
import { SwarmDirectory } from './swarm-directory.js';
import { swarmKeyOf } from './swarm-key.js';
import { addUpgradeRoute, refuseUpgrade } from './upgrade-router.js';

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
}

export interface Signaling {
  /** Closes every client with 1001 and stops accepting new ones. */
  close(): Promise<void>;
}

/** Serves the signaling WebSocket at `options.path` on `server`, beside its other routes. */
export function attachSignaling(
  server: Server | HttpsServer,
  options: SignalingOptions,
): Signaling {
  const directory = new SwarmDirectory(checkMinSwarm(options.minSwarm ?? DEFAULT_MIN_SWARM));
  const connections = new Set<SignalConnection>();
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
  let closing: Promise<void> | undefined;

  const removeRoute = addUpgradeRoute(server, options.path, (request, socket, head) => {
    if (closing) return refuseUpgrade(socket, 503, 'Service Unavailable');
    const secure = 'encrypted' in request.socket && request.socket.encrypted === true;
    const swarmKey = swarmKeyOf(request.headers, secure);
    if (!swarmKey) return refuseUpgrade(socket, 400, 'Bad Request');
    wss.handleUpgrade(request, socket, head, (ws) => {
      const { iceServers } = options;
      // Only the Host header is kept for the connection's life, not the whole request.
      const headers = { host: request.headers.host };
      const connection = new SignalConnection(
        ws,
        {
          directory,
          metrics,
          swarmKey,
          ...(iceServers && { iceServers: () => iceServers({ headers }) }),
        },
        () => connections.delete(connection),
      );
      connections.add(connection);
      // A handshake that completed while shutting down would otherwise be left open.
      if (closing) void connection.shutdown(CLOSE_CODES.goingAway, 'server shutting down');
    });
  });

  const heartbeat = setInterval(() => {
    for (const connection of connections) connection.heartbeat();
  }, options.heartbeatIntervalMs ?? SIGNAL_SERVER_LIMITS.heartbeatIntervalMs);
  heartbeat.unref();

  async function shutdown(): Promise<void> {
    clearInterval(heartbeat);
    removeRoute();
    await Promise.all(
      [...connections].map((c) => c.shutdown(CLOSE_CODES.goingAway, 'server shutting down')),
    );
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    metrics.remove();
  }

  return {
    close: () => {
      closing ??= shutdown();
      return closing;
    },
  };
}

function checkMinSwarm(minSwarm: number): number {
  if (!Number.isInteger(minSwarm) || minSwarm < 1 || minSwarm > SIGNALING_LIMITS.maxMinSwarm) {
    throw new RangeError(
      `minSwarm must be an integer from 1 to ${SIGNALING_LIMITS.maxMinSwarm}, not ${minSwarm}`,
    );
  }
  return minSwarm;
}
