import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { PATHS, SIGNALING_LIMITS, SIGNALING_PROTOCOL } from '../protocol/index.js';
import { CLOSE_CODES, SIGNAL_SERVER_LIMITS } from './signal-limits.js';
import { attachSignaling, type SignalingOptions } from './signal-server.js';
import { metric, SignalingFixture } from './test-peer.js';

const OFFER = { type: 'offer', sdp: 'v=0' } as const;
const CID = '00000000000000aa';
const OTHER_SITE = 'https://other.example';

const fixture = new SignalingFixture();
afterEach(() => fixture.cleanup());
const start = (options?: Partial<SignalingOptions>) => fixture.start(options);
const join = (url: string, origin?: string) => fixture.join(url, origin);
const open = (url: string, options?: ConstructorParameters<typeof WebSocket>[2]) =>
  fixture.open(url, options);

describe('signaling server', () => {
  it('welcomes each joiner with a fresh id, the peers already there and minSwarm', async () => {
    const { url, registry } = await start({ allowedOrigins: [OTHER_SITE] });
    const a = await join(url);
    const b = await join(url);
    const c = await join(url, OTHER_SITE);
    expect(a.welcome).toMatchObject({ peers: 0, minSwarm: 1 });
    expect(b.welcome).toMatchObject({ peers: 1, minSwarm: 1 });
    expect(c.welcome).toMatchObject({ peers: 0 });
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(new Set([a.id, b.id, c.id]).size).toBe(3);
    expect(await metric(registry, 'peerconnect_signal_connections')).toBe(3);
    expect(await metric(registry, 'peerconnect_signal_swarms')).toBe(2);
    expect(await metric(registry, 'peerconnect_signal_largest_swarm_peers')).toBe(2);
    expect(await metric(registry, 'peerconnect_signal_messages_total', { type: 'join' })).toBe(3);
  });

  it('relays signals within the swarm and refuses unknown or foreign peers', async () => {
    const { url } = await start({ allowedOrigins: [OTHER_SITE] });
    const a = await join(url);
    const b = await join(url);
    const foreign = await join(url, OTHER_SITE);
    // b's arrival gave a its one other peer (minSwarm 1).
    expect(await a.next()).toEqual({ t: 'quorum', reached: true });
    b.send({ t: 'announce', ids: [CID] });
    foreign.send({ t: 'announce', ids: [CID] });
    await b.find(CID);
    expect(await a.find(CID)).toEqual([b.id]);

    a.send({ t: 'signal', to: b.id, data: OFFER });
    expect(await b.next()).toEqual({ t: 'signal', from: a.id, data: OFFER });
    const candidate = { type: 'candidate', candidate: { candidate: 'c', sdpMid: '0' } };
    b.send({ t: 'signal', to: a.id, data: candidate });
    expect(await a.next()).toEqual({ t: 'signal', from: b.id, data: candidate });

    for (const to of [foreign.id, 'x'.repeat(16), a.id]) {
      a.send({ t: 'signal', to, data: OFFER });
      await a.error('unknown-peer');
    }
  });

  it('answers bad JSON and schema violations with bad-message and keeps the connection', async () => {
    const { url, registry } = await start();
    const a = await join(url);
    a.send('{not json');
    await a.error('bad-message');
    a.send({ t: 'find', id: -1, content: CID });
    await a.error('bad-message');
    a.send({ t: 'have', have: '' });
    await a.error('bad-message');
    a.ws.send(Buffer.from('{}'), { binary: true });
    await a.error('bad-message');
    expect(await a.find(CID)).toEqual([]);
    expect(await metric(registry, 'peerconnect_signal_errors_total', { code: 'bad-message' })).toBe(
      4,
    );
  });

  it('closes with 4002 after too many bad messages in a row', async () => {
    const { url } = await start();
    const a = await open(url);
    for (let i = 0; i < SIGNAL_SERVER_LIMITS.maxBadMessagesInARow; i++) a.send('garbage');
    expect(await a.closed).toBe(CLOSE_CODES.malformed);
  });

  it('refuses messages before join, and a second join', async () => {
    const { url } = await start();
    const a = await open(url);
    for (const message of [
      { t: 'find', id: 1, content: CID },
      { t: 'announce', ids: [CID] },
      { t: 'withdraw', ids: [CID] },
      { t: 'signal', to: 'x'.repeat(16), data: OFFER },
    ]) {
      a.send(message);
      await a.error('not-joined');
    }
    a.send({ t: 'join', protocol: SIGNALING_PROTOCOL });
    expect((await a.next()).t).toBe('welcome');
    a.send({ t: 'join', protocol: SIGNALING_PROTOCOL });
    await a.error('already-joined');
  });

  it('answers a join of another protocol with protocol-mismatch and closes', async () => {
    const { url, registry } = await start();
    const a = await open(url);
    a.send({ t: 'join', protocol: SIGNALING_PROTOCOL - 1 });
    await a.error('protocol-mismatch');
    expect(await a.closed).toBe(CLOSE_CODES.protocolMismatch);
    expect(await metric(registry, 'peerconnect_signal_swarms')).toBe(0);
  });

  it('rate-limits a burst, then closes a client that keeps flooding', async () => {
    const { url, registry } = await start();
    const a = await join(url);
    const extra = 50;
    // `withdraw` has no answer, so every message back is a refusal.
    const withdraw = { t: 'withdraw', ids: [CID] };
    for (let i = 0; i < SIGNAL_SERVER_LIMITS.messageBurst + extra; i++) a.send(withdraw);
    for (let limited = 0; limited < extra / 2; limited++) await a.error('rate-limited');
    expect(
      await metric(registry, 'peerconnect_signal_errors_total', { code: 'rate-limited' }),
    ).toBeGreaterThanOrEqual(extra / 2);
    expect(a.ws.readyState).toBe(WebSocket.OPEN);

    for (let i = 0; i < SIGNAL_SERVER_LIMITS.messageBurst * 2; i++) a.send(withdraw);
    expect(await a.closed).toBe(CLOSE_CODES.rateLimited);
  });

  it('closes with 1009 on a frame over maxMessageBytes', async () => {
    const { url, registry } = await start();
    const a = await join(url);
    a.send('x'.repeat(SIGNALING_LIMITS.maxMessageBytes + 1));
    expect(await a.closed).toBe(1009);
    expect(await metric(registry, 'peerconnect_signal_errors_total', { code: 'too-large' })).toBe(
      1,
    );
  });

  it('refuses an upgrade without Origin and without a usable Host with 400', async () => {
    const { url } = await start();
    const ws = new WebSocket(url, { headers: { host: 'bad host' } });
    ws.on('error', () => {});
    const [, response] = await once(ws, 'unexpected-response');
    expect(response.statusCode).toBe(400);
    ws.terminate();
  });

  it('terminates a client that stops answering pings, and keeps one that answers', async () => {
    const heartbeatIntervalMs = 50;
    const { url } = await start({ heartbeatIntervalMs });
    const silent = await open(url, { autoPong: false });
    const live = await open(url);
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
    const a = await join(`ws://127.0.0.1:${port}${PATHS.signal}`);
    await signaling.close();
    expect(await a.closed).toBe(CLOSE_CODES.goingAway);
    expect(registry.getMetricsAsArray()).toHaveLength(0);
    // The path is free again: a restarted signaling can take it on the same server.
    const again = attachSignaling(server, { path: PATHS.signal, registry });
    await again.close();
    server.close();
  });

  it('refuses a minSwarm that is not an integer in 1..maxMinSwarm', () => {
    const server = createServer();
    for (const minSwarm of [0, -1, 1.5, Number.NaN, SIGNALING_LIMITS.maxMinSwarm + 1]) {
      expect(
        () => attachSignaling(server, { path: PATHS.signal, registry: new Registry(), minSwarm }),
        String(minSwarm),
      ).toThrow(RangeError);
    }
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
    const a = await fixture.join(url, undefined, { headers: { host: 'site.example:8080' } });
    const b = await fixture.join(url, undefined, { headers: { host: 'other.example' } });
    expect(a.welcome?.iceServers).toEqual([
      { urls: 'stun:site.example:3478' },
      { urls: ['turn:turn.example:3478'], username: '1:x', credential: 'c' },
    ]);
    expect(b.welcome?.iceServers?.[0]).toEqual({ urls: 'stun:other.example:3478' });
    expect(hosts).toEqual(['site.example:8080', 'other.example']);
  });

  it('leaves iceServers out of welcome when given no function', async () => {
    const { url } = await start();
    const a = await join(url);
    expect(a.welcome).not.toHaveProperty('iceServers');
  });
});
