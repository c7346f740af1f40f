import { createConnection, createServer, type Socket } from 'node:net';
import { GATEWAY_READY, parseGatewayHeader } from './gateway-protocol.js';

/**
 * Runs inside a namespace: listens on a Unix socket (a path in the file system, so reachable
 * from outside the namespace) and connects each client to the TCP address its first line
 * names, then copies bytes both ways. Usage: gateway-main.ts <socket-path>
 */

const socketPath = process.argv[2];
if (!socketPath) {
  process.stderr.write('usage: gateway-main.ts <socket-path>\n');
  process.exit(2);
}

function relay(client: Socket): void {
  let head = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf(10);
    if (end < 0) {
      if (head.length > 256) client.destroy();
      return;
    }
    client.off('data', onData);
    client.pause();
    const target = parseGatewayHeader(head.subarray(0, end).toString('utf8'));
    if (!target) {
      client.destroy();
      return;
    }
    const upstream = createConnection(target);
    const rest = head.subarray(end + 1);
    if (rest.length > 0) upstream.write(rest);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('connect', () => {
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  };
  client.on('data', onData);
  client.on('error', () => client.destroy());
}

const server = createServer(relay);
server.listen(socketPath, () => process.stdout.write(`${GATEWAY_READY}\n`));
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
