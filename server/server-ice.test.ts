import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  PATHS,
  parseServerMessage,
  type ServerMessage,
  SIGNALING_PROTOCOL,
} from '../protocol/index.js';
import { startTestOrigin, type TestOrigin } from '../testing/index.js';
import { ServerError } from './errors.js';
import { startServer } from './server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function origin(options: Parameters<typeof startTestOrigin>[1]): Promise<TestOrigin> {
  const started = await startTestOrigin({ 'a.js': 'a' }, options);
  cleanups.push(() => started.close());
  return started;
}

/** A UDP port that was free a moment ago. */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** Joins the server's signaling as a page loaded from `host` would, and returns the welcome. */
async function welcome(server: TestOrigin, host: string): Promise<ServerMessage> {
  const ws = new WebSocket(server.url(PATHS.signal).replace(/^http/, 'ws'), { headers: { host } });
  cleanups.push(async () => ws.terminate());
  await once(ws, 'open');
  ws.send(JSON.stringify({ t: 'join', protocol: SIGNALING_PROTOCOL }));
  const [data] = await once(ws, 'message');
  return parseServerMessage(String(data));
}

/** True when a binding request to 127.0.0.1:port is answered. */
async function stunAnswers(port: number): Promise<boolean> {
  const socket = createSocket('udp4');
  const request = Buffer.alloc(20);
  request.writeUInt16BE(0x0001, 0);
  request.writeUInt32BE(0x2112a442, 4);
  const answered = new Promise<boolean>((resolve) => {
    socket.once('message', () => resolve(true));
    setTimeout(() => resolve(false), 300);
  });
  socket.send(request, port, '127.0.0.1');
  const result = await answered;
  socket.close();
  return result;
}

describe('startServer with STUN and TURN', () => {
  it('runs the STUN server and advertises it at the host the page came from', async () => {
    const stunPort = await freeUdpPort();
    const server = await origin({ stunPort });
    expect(server.server.stunPort).toBe(stunPort);
    expect(server.logs.join('\n')).toContain(`STUN server on udp 127.0.0.1:${stunPort}`);
    expect(await stunAnswers(stunPort)).toBe(true);
    expect(await welcome(server, 'Site.Example:8080')).toMatchObject({
      t: 'welcome',
      iceServers: [{ urls: `stun:site.example:${stunPort}` }],
    });
    await server.server.close();
    expect(await stunAnswers(stunPort)).toBe(false);
  });

  it('advertises none without STUN, the given list instead of it, and TURN after it', async () => {
    const plain = await origin({});
    expect(plain.server.stunPort).toBeUndefined();
    expect(await welcome(plain, 'a.example')).toMatchObject({ iceServers: [] });

    const iceServers = [{ urls: 'stun:stun.example:3478' }];
    const turn = { secret: 's', urls: ['turn:turn.example:3478?transport=udp'] };
    const full = await origin({ stunPort: await freeUdpPort(), iceServers, turn });
    const message = await welcome(full, 'a.example');
    expect(message.t === 'welcome' && message.iceServers).toEqual([
      ...iceServers,
      {
        urls: turn.urls,
        username: expect.stringMatching(/^\d+:[0-9a-f]{16}$/),
        credential: expect.any(String),
      },
    ]);
  });

  it('fails with stun-port-in-use, releasing the HTTP port', async () => {
    const stunPort = await freeUdpPort();
    const holder = await origin({ stunPort });
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const httpPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const taken = startServer({
      siteDir: holder.site.dir,
      port: httpPort,
      bundleDir: holder.bundleDir,
      stunPort,
      log: () => {},
    });
    await expect(taken).rejects.toSatisfy((err) => ServerError.is(err, 'stun-port-in-use'));
    const again = createServer().listen(httpPort, '127.0.0.1');
    await once(again, 'listening');
    await new Promise((resolve) => again.close(resolve));
  });

  it('refuses bad ICE settings before doing anything', async () => {
    await expect(
      startServer({ siteDir: '/nonexistent', iceServers: [{ urls: 'turn:t.example' }] }),
    ).rejects.toSatisfy((err) => ServerError.is(err, 'bad-ice-servers'));
  });
});
