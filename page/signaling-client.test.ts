import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocket as NodeWebSocket, WebSocketServer } from 'ws';
import { Bitfield, isPeerConnectError, PATHS, type SignalData } from '../protocol/index.js';
import { attachSignaling } from '../signaling/index.js';
import { AGENT_LIMITS, BACKOFF } from './config.js';
import { SignalingClient, type SignalingState } from './signaling-client.js';

const SWARM = 'c'.repeat(64);
const ASSETS = 10;
const { signalingConnectTimeoutMs: CONNECT_TIMEOUT_MS, signalingFindTimeoutMs: FIND_TIMEOUT_MS } =
  AGENT_LIMITS;
/** Slack on top of a deadline for timers and loopback. */
const SLACK_MS = 500;

const cleanups: (() => Promise<void> | void)[] = [];

// Node 20 has no WebSocket global; the client uses the browser's, so `ws` stands in for it.
beforeEach(() => {
  vi.stubGlobal('WebSocket', NodeWebSocket);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.unstubAllGlobals();
});

async function listen(server: Server, port = 0): Promise<number> {
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

function stopServer(server: Server): void {
  server.close();
  server.closeAllConnections();
}

/** A real signaling server; `stop` closes it so the port can be reused. */
async function startSignaling(port = 0) {
  const server = createServer();
  const signaling = attachSignaling(server, { path: PATHS.signal, registry: new Registry() });
  const actualPort = await listen(server, port);
  const stop = async () => {
    await signaling.close();
    stopServer(server);
  };
  cleanups.push(stop);
  return { port: actualPort, url: `ws://127.0.0.1:${actualPort}${PATHS.signal}`, stop };
}

/** A scripted server for misbehaviour the real one never shows. */
async function startFake(onMessage: (ws: NodeWebSocket, text: string) => void) {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (data) => onMessage(ws, String(data))));
  const port = await listen(server);
  cleanups.push(() => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    stopServer(server);
  });
  return { url: `ws://127.0.0.1:${port}/`, wss };
}

function bits(...indexes: number[]): Bitfield {
  const field = new Bitfield(ASSETS);
  for (const i of indexes) field.set(i);
  return field;
}

function client(url: string, have = bits()): SignalingClient {
  const c = new SignalingClient({ url, swarm: SWARM, assets: ASSETS, have });
  cleanups.push(() => c.close());
  return c;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

const WELCOME = JSON.stringify({ t: 'welcome', peerId: 'p'.repeat(16), peers: 0 });

describe('SignalingClient', () => {
  it('keeps the ICE servers a real server advertises in its welcome', async () => {
    const server = createServer();
    const advertised = [{ urls: 'stun:198.18.0.1:3478' }];
    const signaling = attachSignaling(server, {
      path: PATHS.signal,
      registry: new Registry(),
      iceServers: () => advertised,
    });
    const port = await listen(server);
    cleanups.push(async () => {
      await signaling.close();
      stopServer(server);
    });
    const c = client(`ws://127.0.0.1:${port}${PATHS.signal}`);
    expect(c.iceServers).toBeUndefined();
    await c.connect();
    expect(c.iceServers).toEqual(advertised);
  });

  it('a server that sends no ICE servers leaves them undefined', async () => {
    const { url } = await startFake((ws) => ws.send(WELCOME));
    const c = client(url);
    await c.connect();
    expect(c.iceServers).toBeUndefined();
  });

  it('joins, finds holders, relays signals and announces have updates', async () => {
    const { url } = await startSignaling();
    const a = client(url, bits(1));
    const states: SignalingState[] = [];
    a.on('state', (s) => states.push(s));
    const aId = await a.connect();
    expect(a.peerId).toBe(aId);
    expect(states).toEqual(['connecting', 'open']);
    expect(await a.connect()).toBe(aId);

    const b = client(url);
    const bId = await b.connect();
    expect(await b.find(1)).toEqual([aId]);
    expect(await a.find(1)).toEqual([]);

    const received = new Promise<{ from: string; data: SignalData }>((resolve) =>
      b.on('signal', resolve),
    );
    const offer: SignalData = { type: 'offer', sdp: 'v=0' };
    expect(a.signal(bId, offer)).toBe(true);
    expect(await received).toEqual({ from: aId, data: offer });

    a.setHave(bits(2));
    expect(await b.find(2)).toEqual([aId]);
    expect(await b.find(1)).toEqual([]);
    expect(() => a.setHave(new Bitfield(ASSETS + 1))).toThrow(RangeError);

    a.close();
    expect(a.state).toBe('closed');
    expect(a.signal(bId, offer)).toBe(false);
    await expect.poll(() => b.find(1)).toEqual([]);
  });

  it('rejects find at once with signaling-unavailable when not joined', async () => {
    const c = client('ws://127.0.0.1:1/');
    expect(isPeerConnectError(await rejection(c.find(0)), 'signaling-unavailable')).toBe(true);
  });

  it('rejects connect quickly with signaling-unavailable when nothing listens', async () => {
    const server = createServer();
    const port = await listen(server);
    stopServer(server);
    const c = client(`ws://127.0.0.1:${port}${PATHS.signal}`);
    const started = performance.now();
    const err = await rejection(c.connect());
    expect(isPeerConnectError(err, 'signaling-unavailable')).toBe(true);
    expect(performance.now() - started).toBeLessThan(CONNECT_TIMEOUT_MS / 3);
  });

  it('rejects connect with signaling-unavailable when no welcome comes in time', async () => {
    const { url } = await startFake(() => {});
    const c = client(url);
    const started = performance.now();
    const err = await rejection(c.connect());
    expect(isPeerConnectError(err, 'signaling-unavailable')).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS - 1);
    expect(performance.now() - started).toBeLessThan(CONNECT_TIMEOUT_MS + SLACK_MS);
  });

  it('close() during the handshake rejects connect and stops retrying', async () => {
    // A TCP server that never answers the HTTP upgrade: the socket stays CONNECTING.
    const silent = createNetServer(() => {});
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    cleanups.push(() => {
      silent.close();
    });
    const c = client(`ws://127.0.0.1:${(silent.address() as AddressInfo).port}/`);
    const pending = rejection(c.connect());
    expect(c.state).toBe('connecting');
    c.close();
    expect(isPeerConnectError(await pending, 'signaling-unavailable')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, BACKOFF.initialMs * 2));
    expect(c.state).toBe('closed');
    expect(c.stats.reconnects).toBe(0);
  });

  it('drops and counts malformed frames, and times out an unanswered find', async () => {
    const { url } = await startFake((ws, text) => {
      if (JSON.parse(text).t !== 'join') return;
      ws.send('{oops');
      ws.send(JSON.stringify({ t: 'welcome', peerId: 'short', peers: 0 }));
      ws.send(Buffer.from('binary'), { binary: true });
      ws.send(WELCOME);
    });
    const c = client(url);
    expect(await c.connect()).toBe('p'.repeat(16));
    expect(c.stats.malformedFrames).toBe(3);
    const started = performance.now();
    const err = await rejection(c.find(0));
    expect(isPeerConnectError(err, 'peer-timeout')).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(FIND_TIMEOUT_MS - 1);
    expect(performance.now() - started).toBeLessThan(FIND_TIMEOUT_MS + SLACK_MS);
  });

  it('rejects pending finds at once when the socket drops', async () => {
    const { url, wss } = await startFake((ws, text) => {
      if (JSON.parse(text).t === 'join') ws.send(WELCOME);
    });
    const c = client(url);
    await c.connect();
    const pending = rejection(c.find(0));
    const started = performance.now();
    for (const ws of wss.clients) ws.terminate();
    expect(isPeerConnectError(await pending, 'signaling-unavailable')).toBe(true);
    expect(performance.now() - started).toBeLessThan(FIND_TIMEOUT_MS / 2);
  });

  it('rejects connect when the server refuses the join', async () => {
    const { url } = await startSignaling();
    await client(url).connect();
    const mismatched = new SignalingClient({
      url,
      swarm: SWARM,
      assets: ASSETS + 1,
      have: new Bitfield(ASSETS + 1),
    });
    cleanups.push(() => mismatched.close());
    const err = await rejection(mismatched.connect());
    expect(isPeerConnectError(err, 'signaling-unavailable')).toBe(true);
    expect(mismatched.stats.serverErrors).toBe(1);
  });

  it('reconnects after a server restart and rejoins with the current bitfield', async () => {
    const first = await startSignaling();
    const c = client(first.url, bits(1));
    const oldId = await c.connect();
    const closed = new Promise<void>((resolve) =>
      c.on('state', (s) => s === 'closed' && resolve()),
    );
    await first.stop();
    await closed;
    c.setHave(bits(4));

    const rejoined = new Promise<string>((resolve) => c.on('welcome', resolve));
    const second = await startSignaling(first.port);
    const newId = await rejoined;
    expect(newId).not.toBe(oldId);
    expect(c.state).toBe('open');
    expect(c.stats.reconnects).toBeGreaterThanOrEqual(1);

    const other = client(second.url);
    await other.connect();
    expect(await other.find(4)).toEqual([newId]);
    expect(await other.find(1)).toEqual([]);
  });

  it('keeps retrying after a failed first connect, until closed', async () => {
    const server = createServer();
    const port = await listen(server);
    stopServer(server);
    const c = client(`ws://127.0.0.1:${port}${PATHS.signal}`);
    await rejection(c.connect());
    const joined = new Promise<string>((resolve) => c.on('welcome', resolve));
    await startSignaling(port);
    expect(await joined).toMatch(/^[A-Za-z0-9_-]{16}$/);
    c.close();
    expect(c.state).toBe('closed');
  });
});
