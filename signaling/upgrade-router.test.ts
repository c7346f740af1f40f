import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { addUpgradeRoute } from './upgrade-router.js';

const server = createServer();

afterEach(() => {
  server.close();
  server.closeAllConnections();
});

/** An upgrade route that accepts and sends its own name, to tell routes apart. */
function namedRoute(name: string) {
  const wss = new WebSocketServer({ noServer: true });
  return addUpgradeRoute(server, `/${name}`, (request, socket, head) =>
    wss.handleUpgrade(request, socket, head, (ws) => ws.send(name)),
  );
}

async function firstMessage(url: string): Promise<string> {
  const ws = new WebSocket(url);
  const [data] = await once(ws, 'message');
  ws.close();
  return String(data);
}

describe('addUpgradeRoute', () => {
  it('routes by path (ignoring the query), refuses unknown paths, and can remove a route', async () => {
    const removeOne = namedRoute('one');
    namedRoute('two');
    expect(() => namedRoute('two')).toThrow();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;

    expect(await firstMessage(`${base}/one?x=1`)).toBe('one');
    expect(await firstMessage(`${base}/two`)).toBe('two');
    removeOne();
    for (const path of ['/one', '/three']) {
      const ws = new WebSocket(`${base}${path}`);
      ws.on('error', () => {});
      const [, response] = await once(ws, 'unexpected-response');
      expect(response.statusCode).toBe(404);
      ws.terminate();
    }
  });
});
