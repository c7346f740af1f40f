import type { IncomingMessage, Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import { type IceServer, SIGNALING_LIMITS } from '../protocol/index.js';
import { SignalConnection } from './signal-connection.js';
import { CLOSE_CODES, SIGNAL_SERVER_LIMITS } from './signal-limits.js';
import { createSignalMetrics } from './signal-metrics.js';
import { SwarmDirectory } from './swarm-directory.js';
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
  const directory = new SwarmDirectory();
  const connections = new Set<SignalConnection>();
  const metrics = createSignalMetrics(options.registry, {
    connections: () => connections.size,
    swarms: () => directory.size,
    largestSwarm: () => directory.largestSwarm,
  });
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: SIGNALING_LIMITS.maxMessageBytes,
  });
  let closing: Promise<void> | undefined;

  const removeRoute = addUpgradeRoute(server, options.path, (request, socket, head) => {
    if (closing) return refuseUpgrade(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(request, socket, head, (ws) => {
      const { iceServers } = options;
      // Only the Host header is kept for the connection's life, not the whole request.
      const headers = { host: request.headers.host };
      const connection = new SignalConnection(
        ws,
        directory,
        metrics,
        () => connections.delete(connection),
        iceServers && (() => iceServers({ headers })),
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
