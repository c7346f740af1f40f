import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  Bitfield,
  PATHS,
  parseServerMessage,
  type ServerMessage,
  SIGNALING_LIMITS,
} from '../protocol/index.js';
import { CLOSE_CODES, SIGNAL_SERVER_LIMITS } from './signal-limits.js';
import { attachSignaling, type SignalingOptions } from './signal-server.js';

const SWARM = 'a'.repeat(64);
const OTHER_SWARM = 'b'.repeat(64);
const ASSETS = 20;
const WAIT_MS = 2000;
const OFFER = { type: 'offer', sdp: 'v=0' } as const;

interface Running {
  url: string;
  registry: Registry;
  stop(): Promise<void>;
}

const running: Running[] = [];
const peers: TestPeer[] = [];

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.ws.terminate();
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

async function start(options: Partial<SignalingOptions> = {}): Promise<Running> {
  const server: Server = createServer();
  const registry = new Registry();
  const signaling = attachSignaling(server, { path: PATHS.signal, registry, ...options });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const r: Running = {
    url: `ws://127.0.0.1:${port}${PATHS.signal}`,
    registry,
    async stop() {
      await signaling.close();
      server.close();
      server.closeAllConnections();
    },
  };
  running.push(r);
  return r;
}

function bits(...indexes: number[]): string {
  const field = new Bitfield(ASSETS);
  for (const i of indexes) field.set(i);
  return field.toBase64();
}

/** A raw ws client that queues the server's messages for `next()`. */
class TestPeer {
  private readonly queue: ServerMessage[] = [];
  private readonly waiting: ((m: ServerMessage) => void)[] = [];
  readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const message = parseServerMessage(data.toString());
      const waiter = this.waiting.shift();
      if (waiter) waiter(message);
      else this.queue.push(message);
    });
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
  }

  static async open(url: string, options?: ConstructorParameters<typeof WebSocket>[2]) {
    const ws = new WebSocket(url, options);
    const peer = new TestPeer(ws);
    peers.push(peer);
    await once(ws, 'open');
    return peer;
  }

  /** Opens and joins; resolves with the welcome. */
  static async join(
    url: string,
    have = bits(),
    swarm = SWARM,
    options?: ConstructorParameters<typeof WebSocket>[2],
  ) {
    const peer = await TestPeer.open(url, options);
    peer.send({ t: 'join', swarm, assets: ASSETS, have });
    const welcome = await peer.next();
    if (welcome.t !== 'welcome') throw new Error(`expected welcome, got ${welcome.t}`);
    return Object.assign(peer, { id: welcome.peerId, welcome });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  next(): Promise<ServerMessage> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message in time')), WAIT_MS);
      this.waiting.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  }

  async find(asset: number, max?: number): Promise<string[]> {
    this.send({ t: 'find', id: asset + 1000, asset, max });
    const found = await this.next();
    if (found.t !== 'found') throw new Error(`expected found, got ${JSON.stringify(found)}`);
    expect(found.id).toBe(asset + 1000);
    return found.peers;
  }

  async expectError(code: string): Promise<void> {
    expect(await this.next()).toMatchObject({ t: 'error', code });
  }
}

async function metric(registry: Registry, name: string, label?: Record<string, string>) {
  const json = await registry.getSingleMetric(name)?.get();
  const value = json?.values.find((v) =>
    Object.entries(label ?? {}).every(([k, x]) => v.labels[k] === x),
  );
  return value?.value ?? 0;
}

describe('signaling server', () => {
  it('welcomes each joiner with a fresh id and the count of peers already there', async () => {
    const { url, registry } = await start();
    const a = await TestPeer.join(url);
    const b = await TestPeer.join(url);
    const c = await TestPeer.join(url, bits(), OTHER_SWARM);
    expect(a.welcome.peers).toBe(0);
    expect(b.welcome.peers).toBe(1);
    expect(c.welcome.peers).toBe(0);
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(new Set([a.id, b.id, c.id]).size).toBe(3);
    expect(await metric(registry, 'peerconnect_signal_connections')).toBe(3);
    expect(await metric(registry, 'peerconnect_signal_swarms')).toBe(2);
    expect(await metric(registry, 'peerconnect_signal_messages_total', { type: 'join' })).toBe(3);
  });

  it('finds only holders of the asset, never the asker, at most max', async () => {
    const { url } = await start();
    const asker = await TestPeer.join(url, bits(1));
    const holders = [];
    for (let i = 0; i < 3; i++) holders.push((await TestPeer.join(url, bits(1, 2))).id);
    const other = await TestPeer.join(url, bits(3));
    await TestPeer.join(url, bits(1), OTHER_SWARM);

    expect((await asker.find(1)).sort()).toEqual([...holders].sort());
    expect(await asker.find(3)).toEqual([other.id]);
    expect(await asker.find(4)).toEqual([]);
    const two = await asker.find(2, 2);
    expect(two).toHaveLength(2);
    for (const id of two) expect(holders).toContain(id);
  });

  it('caps find at maxFoundPeers by default', async () => {
    const { url } = await start();
    const asker = await TestPeer.join(url);
    for (let i = 0; i < SIGNALING_LIMITS.maxFoundPeers + 2; i++) await TestPeer.join(url, bits(0));
    expect(await asker.find(0)).toHaveLength(SIGNALING_LIMITS.maxFoundPeers);
  });

  it('have replaces the bitfield', async () => {
    const { url } = await start();
    const asker = await TestPeer.join(url);
    const holder = await TestPeer.join(url, bits(5));
    holder.send({ t: 'have', have: bits(6) });
    expect(await asker.find(6)).toEqual([holder.id]);
    expect(await asker.find(5)).toEqual([]);
  });

  it('relays signals within the swarm and refuses unknown or foreign peers', async () => {
    const { url } = await start();
    const a = await TestPeer.join(url);
    const b = await TestPeer.join(url);
    const foreign = await TestPeer.join(url, bits(), OTHER_SWARM);

    a.send({ t: 'signal', to: b.id, data: OFFER });
    expect(await b.next()).toEqual({ t: 'signal', from: a.id, data: OFFER });
    const candidate = { type: 'candidate', candidate: { candidate: 'c', sdpMid: '0' } };
    b.send({ t: 'signal', to: a.id, data: candidate });
    expect(await a.next()).toEqual({ t: 'signal', from: b.id, data: candidate });

    a.send({ t: 'signal', to: foreign.id, data: OFFER });
    await a.expectError('unknown-peer');
    a.send({ t: 'signal', to: 'x'.repeat(16), data: OFFER });
    await a.expectError('unknown-peer');
    a.send({ t: 'signal', to: a.id, data: OFFER });
    await a.expectError('unknown-peer');
  });

  it('answers bad JSON and schema violations with bad-message and keeps the connection', async () => {
    const { url, registry } = await start();
    const a = await TestPeer.join(url);
    a.send('{not json');
    await a.expectError('bad-message');
    a.send({ t: 'find', id: -1, asset: 0 });
    await a.expectError('bad-message');
    a.send({ t: 'nope' });
    await a.expectError('bad-message');
    a.ws.send(Buffer.from('{}'), { binary: true });
    await a.expectError('bad-message');
    expect(await a.find(0)).toEqual([]);
    expect(await metric(registry, 'peerconnect_signal_errors_total', { code: 'bad-message' })).toBe(
      4,
    );
  });

  it('closes with 1008 after too many bad messages in a row', async () => {
    const { url } = await start();
    const a = await TestPeer.open(url);
    for (let i = 0; i < SIGNAL_SERVER_LIMITS.maxBadMessagesInARow; i++) a.send('garbage');
    expect(await a.closed).toBe(CLOSE_CODES.policyViolation);
  });

  it('refuses messages before join, and a second join', async () => {
    const { url } = await start();
    const a = await TestPeer.open(url);
    a.send({ t: 'find', id: 1, asset: 0 });
    await a.expectError('not-joined');
    a.send({ t: 'have', have: bits() });
    await a.expectError('not-joined');
    a.send({ t: 'join', swarm: SWARM, assets: ASSETS, have: bits() });
    expect((await a.next()).t).toBe('welcome');
    a.send({ t: 'join', swarm: SWARM, assets: ASSETS, have: bits() });
    await a.expectError('already-joined');
  });

  it('refuses a join whose asset count differs from the swarm, or a wrong-sized bitfield', async () => {
    const { url } = await start();
    await TestPeer.join(url);
    const b = await TestPeer.open(url);
    b.send({
      t: 'join',
      swarm: SWARM,
      assets: ASSETS + 1,
      have: new Bitfield(ASSETS + 1).toBase64(),
    });
    await b.expectError('bad-message');
    b.send({ t: 'join', swarm: SWARM, assets: ASSETS, have: new Bitfield(100).toBase64() });
    await b.expectError('bad-message');
    b.send({ t: 'join', swarm: SWARM, assets: ASSETS, have: bits(0) });
    expect(await b.next()).toMatchObject({ t: 'welcome', peers: 1 });
    b.send({ t: 'have', have: new Bitfield(8).toBase64() });
    await b.expectError('bad-message');
  });

  it('rate-limits a burst, then closes a client that keeps flooding', async () => {
    const { url, registry } = await start();
    const a = await TestPeer.join(url);
    const extra = 50;
    for (let i = 0; i < SIGNAL_SERVER_LIMITS.messageBurst + extra; i++) {
      a.send({ t: 'have', have: bits() });
    }
    // `have` has no answer, so every message back is a refusal.
    let limited = 0;
    while (limited < extra / 2) {
      const m = await a.next();
      expect(m).toMatchObject({ t: 'error', code: 'rate-limited' });
      limited++;
    }
    expect(
      await metric(registry, 'peerconnect_signal_errors_total', { code: 'rate-limited' }),
    ).toBeGreaterThanOrEqual(extra / 2);
    expect(a.ws.readyState).toBe(WebSocket.OPEN);

    for (let i = 0; i < SIGNAL_SERVER_LIMITS.messageBurst * 2; i++)
      a.send({ t: 'have', have: bits() });
    expect(await a.closed).toBe(CLOSE_CODES.policyViolation);
  });

  it('closes with 1009 on a frame over maxMessageBytes', async () => {
    const { url, registry } = await start();
    const a = await TestPeer.join(url);
    a.send('x'.repeat(SIGNALING_LIMITS.maxMessageBytes + 1));
    expect(await a.closed).toBe(1009);
    expect(await metric(registry, 'peerconnect_signal_errors_total', { code: 'too-large' })).toBe(
      1,
    );
  });

  it('removes a disconnected peer from its swarm, and forgets an empty swarm', async () => {
    const { url, registry } = await start();
    const asker = await TestPeer.join(url);
    const holder = await TestPeer.join(url, bits(0));
    const loner = await TestPeer.join(url, bits(0), OTHER_SWARM);
    expect(await asker.find(0)).toEqual([holder.id]);
    holder.ws.close();
    loner.ws.terminate();
    await Promise.all([holder.closed, loner.closed]);
    await expect.poll(() => metric(registry, 'peerconnect_signal_swarms')).toBe(1);
    expect(await asker.find(0)).toEqual([]);
    asker.send({ t: 'signal', to: holder.id, data: OFFER });
    await asker.expectError('unknown-peer');
    expect((await TestPeer.join(url)).welcome.peers).toBe(1);
  });

  it('terminates a client that stops answering pings, and keeps one that answers', async () => {
    const heartbeatIntervalMs = 50;
    const { url } = await start({ heartbeatIntervalMs });
    const silent = await TestPeer.open(url, { autoPong: false });
    const live = await TestPeer.open(url);
    expect(await silent.closed).toBe(1006);
    await new Promise((r) => setTimeout(r, heartbeatIntervalMs * 4));
    expect(live.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('refuses upgrades on other paths with 404', async () => {
    const { url } = await start();
    const ws = new WebSocket(url.replace(PATHS.signal, '/elsewhere'));
    ws.on('error', () => {});
    const [, response] = await once(ws, 'unexpected-response');
    expect(response.statusCode).toBe(404);
    ws.terminate();
  });

  it('close() sends 1001 to every client and unregisters its metrics', async () => {
    const server = createServer();
    const registry = new Registry();
    const signaling = attachSignaling(server, { path: PATHS.signal, registry });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const a = await TestPeer.join(`ws://127.0.0.1:${port}${PATHS.signal}`);
    await signaling.close();
    expect(await a.closed).toBe(CLOSE_CODES.goingAway);
    expect(registry.getMetricsAsArray()).toHaveLength(0);
    // The path is free again: a restarted signaling can take it on the same server.
    const again = attachSignaling(server, { path: PATHS.signal, registry });
    await again.close();
    server.close();
  });

  it('tells each joiner the ICE servers computed from its upgrade request', async () => {
    const hosts: (string | undefined)[] = [];
    const { url } = await start({
      iceServers: (request) => {
        hosts.push(request.headers.host);
        return [
          { urls: `stun:${request.headers.host?.split(':')[0]}:3478` },
          { urls: ['turn:turn.example:3478'], username: `${hosts.length}:x`, credential: 'c' },
        ];
      },
    });
    const a = await TestPeer.join(url, bits(), SWARM, { headers: { host: 'site.example:8080' } });
    const b = await TestPeer.join(url, bits(), SWARM, { headers: { host: 'other.example' } });
    expect(a.welcome.t === 'welcome' && a.welcome.iceServers).toEqual([
      { urls: 'stun:site.example:3478' },
      { urls: ['turn:turn.example:3478'], username: '1:x', credential: 'c' },
    ]);
    expect(b.welcome.t === 'welcome' && b.welcome.iceServers?.[0]).toEqual({
      urls: 'stun:other.example:3478',
    });
    expect(hosts).toEqual(['site.example:8080', 'other.example']);
  });

  it('leaves iceServers out of welcome when given no function', async () => {
    const { url } = await start();
    const a = await TestPeer.join(url);
    expect(a.welcome).not.toHaveProperty('iceServers');
  });
});
