import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';

export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

interface RouteTable {
  readonly routes: Map<string, UpgradeHandler>;
  readonly listener: UpgradeHandler;
}

/** One route table per http server, shared by every module that accepts upgrades on it. */
const tables = new WeakMap<Server, RouteTable>();

/**
 * Routes the server's `upgrade` requests by URL path. Every WebSocket endpoint (signaling, and
 * later the WebTorrent tracker) registers here rather than listening to `upgrade` itself, so
 * exactly one listener decides who owns a socket and an unclaimed one is refused, not leaked.
 * Returns a function that removes the route.
 */
export function addUpgradeRoute(server: Server, path: string, handler: UpgradeHandler): () => void {
  const table = tables.get(server) ?? createTable(server);
  if (table.routes.has(path)) throw new Error(`an upgrade handler for ${path} already exists`);
  table.routes.set(path, handler);
  return () => {
    if (table.routes.get(path) !== handler) return;
    table.routes.delete(path);
    if (table.routes.size === 0) {
      tables.delete(server);
      server.off('upgrade', table.listener);
    }
  };
}

function createTable(server: Server): RouteTable {
  const routes = new Map<string, UpgradeHandler>();
  const listener: UpgradeHandler = (request, socket, head) => {
    const pathname = (request.url ?? '').split('?', 1)[0] ?? '';
    const route = routes.get(pathname);
    if (route) route(request, socket, head);
    else refuseUpgrade(socket, 404, 'Not Found');
  };
  const table = { routes, listener };
  tables.set(server, table);
  server.on('upgrade', listener);
  return table;
}

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.on('error', () => socket.destroy());
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
