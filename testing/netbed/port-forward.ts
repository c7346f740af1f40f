import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { type GatewayTarget, gatewayHeader } from './gateway-protocol.js';

/**
 * A loopback port of the test process that reaches a TCP service inside a namespace, through
 * that namespace's gateway (gateway-main.ts) on a Unix socket. This is how a test reads the
 * metrics of a server that only listens on 198.18.0.1: no route or address is added to the
 * root namespace, and no packet leaves loopback or the bed.
 */

export interface PortForward {
  /** e.g. `http://127.0.0.1:41234` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function forwardPort(
  gatewaySocket: string,
  target: GatewayTarget,
): Promise<PortForward> {
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    const upstream = createConnection(gatewaySocket, () => {
      upstream.write(gatewayHeader(target));
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('forward: no port');
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    close() {
      closing ??= new Promise<void>((done) => {
        server.close(() => done());
        for (const socket of open) socket.destroy();
      });
      return closing;
    },
  };
}
