import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocket as NodeWebSocket, WebSocketServer } from 'ws';
import {
  type ClientMessage,
  isPeerConnectError,
  PATHS,
  parseClientMessage,
  type ServerMessage,
  SIGNALING_LIMITS,
  SIGNALING_PROTOCOL,
  type SignalData,
} from '../protocol/index.js';
import { attachSignaling, type SignalingOptions } from '../signaling/index.js';
import { AGENT_LIMITS, BACKOFF } from './config.js';
import { FakeSignalingClient, hubAt, resetHubs } from './fake-signaling.test-helper.js';
import { QUORUM_SETTLE_MS, SignalingClient, type SignalingState } from './signaling-client.js';

const { signalingConnectTimeoutMs: CONNECT_TIMEOUT_MS, signalingFindTimeoutMs: FIND_TIMEOUT_MS } =
  AGENT_LIMITS;
const { maxIdsPerMessage: BATCH, maxAnnouncedIds: CAP } = SIGNALING_LIMITS;
/** Slack on top of a deadline for timers and loopback. */
const SLACK_MS = 500;
/** Longer than the first reconnect delay can be (backoff.ts: at most initialMs). */
const PAST_FIRST_RETRY_MS = BACKOFF.initialMs * 2;
const PEER = 'p'.repeat(16);
const OTHER = 'o'.repeat(16);
const OFFER: SignalData = { type: 'offer', sdp: 'v=0' };

const cleanups: (() => Promise<void> | void)[] = [];

// Node 20 has no WebSocket global; the client uses the browser's, so `ws` stands in for it.
beforeEach(() => {
  vi.stubGlobal('WebSocket', NodeWebSocket);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.unstubAllGlobals();
});

/** The content id of `n`: 16 hex digits. */
function cid(n: number): string {
  return n.toString(16).padStart(16, '0');
}

function cids(from: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => cid(from + i));
}

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
async function startSignaling(options: Partial<SignalingOptions> = {}, port = 0) {
  const server = createServer();
  const signaling = attachSignaling(server, {
    path: PATHS.signal,
    registry: new Registry(),
    ...options,
  });
  const actualPort = await listen(server, port);
  const stop = async () => {
    await signaling.close();
    stopServer(server);
  };
  cleanups.push(stop);
  return { port: actualPort, url: `ws://127.0.0.1:${actualPort}${PATHS.signal}`, stop };
}

/** One socket accepted by a scripted server, with every frame it sent (parsed as v2). */
interface Connection {
  readonly ws: NodeWebSocket;
  readonly frames: ClientMessage[];
  /** Frames that do not parse as v2 client messages. */
  readonly invalid: string[];
  send(message: ServerMessage | string): void;
}

/**
 * A scripted server that records what the client sends. `onJoin` answers a join (by default
 * a welcome with `peers`/`minSwarm` from `welcome`); the test drives the rest.
 */
async function startScripted(
  onJoin: (c: Connection) => void = (c) => c.send(welcome()),
  onFrame: (c: Connection, m: ClientMessage) => void = () => {},
) {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  const connections: Connection[] = [];
  wss.on('connection', (ws) => {
    const connection: Connection = {
      ws,
      frames: [],
      invalid: [],
      send: (m) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)),
    };
    connections.push(connection);
    ws.on('message', (data) => {
      let message: ClientMessage;
      try {
        message = parseClientMessage(String(data));
      } catch {
        connection.invalid.push(String(data));
        return;
      }
      connection.frames.push(message);
      if (message.t === 'join') onJoin(connection);
      else onFrame(connection, message);
    });
  });
  const port = await listen(server);
  cleanups.push(() => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    stopServer(server);
  });
  return { url: `ws://127.0.0.1:${port}/`, connections };
}

function welcome(peers = 1, minSwarm = 1): ServerMessage {
  return { t: 'welcome', peerId: PEER, peers, minSwarm };
}

function client(url: string): SignalingClient {
  const c = new SignalingClient({ url });
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits until `connection` has everything `c` sent so far: the server reads frames in order,
 * so once a signal sent now arrives, every earlier frame has too. Removes the signal frame.
 */
async function barrier(c: SignalingClient, connection: Connection): Promise<void> {
  const before = connection.frames.length;
  expect(c.signal(OTHER, OFFER)).toBe(true);
  await expect
    .poll(() => connection.frames.length > before && connection.frames.at(-1)?.t)
    .toBe('signal');
  connection.frames.pop();
}

function framesOf<T extends ClientMessage['t']>(
  connection: Connection,
  t: T,
): Extract<ClientMessage, { t: T }>[] {
  return connection.frames.filter((m): m is Extract<ClientMessage, { t: T }> => m.t === t);
}

/** Every id in the `t` frames of `connection`, in order. */
function idsSent(connection: Connection, t: 'announce' | 'withdraw'): string[] {
  return framesOf(connection, t).flatMap((m) => m.ids);
}

describe('SignalingClient', () => {
  it('joins with the protocol version and nothing else', async () => {
    const { url, connections } = await startScripted();
    const c = client(url);
    expect(await c.connect()).toBe(PEER);
    const [connection] = connections;
    expect(connection?.frames).toEqual([{ t: 'join', protocol: SIGNALING_PROTOCOL }]);
    expect(connection?.invalid).toEqual([]);
  });

  it('against a real server: quorum, announce, find, signal and withdraw', async () => {
    const { url } = await startSignaling();
    const a = client(url);
    const states: SignalingState[] = [];
    const quorums: boolean[] = [];
    a.on('state', (s) => states.push(s));
    a.on('quorum', (q) => quorums.push(q));
    const aId = await a.connect();
    expect(a.peerId).toBe(aId);
    expect(states).toEqual(['connecting', 'open']);
    expect(await a.connect()).toBe(aId);
    // Alone in the swarm (minSwarm 1): no quorum, so nothing is disclosed and finds are empty.
    expect(a.quorumReached).toBe(false);
    a.announce([cid(1), cid(2)]);

    const b = client(url);
    const bId = await b.connect();
    expect(b.quorumReached).toBe(true);
    await expect.poll(() => a.quorumReached).toBe(true);
    expect(quorums).toEqual([true]);
    await expect.poll(() => b.find(cid(1))).toEqual([aId]);
    expect(await b.find(cid(2))).toEqual([aId]);
    expect(await a.find(cid(1))).toEqual([]);

    // Offers go the way the find went (the server relays them only to peers a find named).
    const received = new Promise<{ from: string; data: SignalData }>((resolve) =>
      a.on('signal', resolve),
    );
    expect(b.signal(aId, OFFER)).toBe(true);
    expect(await received).toEqual({ from: bId, data: OFFER });

    a.withdraw([cid(1)]);
    await expect.poll(() => b.find(cid(1))).toEqual([]);
    expect(await b.find(cid(2))).toEqual([aId]);

    a.close();
    expect(a.state).toBe('closed');
    expect(a.quorumReached).toBe(false);
    expect(quorums).toEqual([true, false]);
    expect(a.signal(bId, OFFER)).toBe(false);
    await expect.poll(() => b.quorumReached).toBe(false);
    expect(await b.find(cid(2))).toEqual([]);
  });

  it('keeps the ICE servers a real server advertises in its welcome', async () => {
    const advertised = [{ urls: 'stun:198.18.0.1:3478' }];
    const { url } = await startSignaling({ iceServers: () => advertised });
    const c = client(url);
    expect(c.iceServers).toBeUndefined();
    await c.connect();
    expect(c.iceServers).toEqual(advertised);
  });

  it('a server that sends no ICE servers leaves them undefined', async () => {
    const { url } = await startScripted();
    const c = client(url);
    await c.connect();
    expect(c.iceServers).toBeUndefined();
  });

  it('announces in batches of maxIdsPerMessage, each id once per socket', async () => {
    const { url, connections } = await startScripted();
    const c = client(url);
    await c.connect();
    expect(c.quorumReached).toBe(true);
    const ids = cids(0, 2500);
    c.announce(ids);
    const [connection] = connections;
    if (!connection) throw new Error('no connection');
    await barrier(c, connection);
    const announces = framesOf(connection, 'announce');
    expect(announces.map((m) => m.ids.length)).toEqual([BATCH, BATCH, 2500 - 2 * BATCH]);
    expect(idsSent(connection, 'announce')).toEqual(ids);

    // Again, plus one new id: only the new one goes out.
    c.announce([...ids.slice(0, 10), cid(9999)]);
    await barrier(c, connection);
    expect(framesOf(connection, 'announce').slice(3)).toEqual([
      { t: 'announce', ids: [cid(9999)] },
    ]);
    expect(connection.invalid).toEqual([]);
  });

  it('withdraws only what was announced on this socket', async () => {
    const { url, connections } = await startScripted();
    const c = client(url);
    await c.connect();
    const [connection] = connections;
    if (!connection) throw new Error('no connection');
    c.announce([cid(1), cid(2)]);
    c.withdraw([cid(3)]);
    await barrier(c, connection);
    expect(framesOf(connection, 'withdraw')).toEqual([]);
    c.withdraw([cid(1), cid(3)]);
    c.withdraw([cid(1)]);
    await barrier(c, connection);
    expect(framesOf(connection, 'withdraw')).toEqual([{ t: 'withdraw', ids: [cid(1)] }]);
    // A withdrawn id is announced again when held again.
    c.announce([cid(1)]);
    await barrier(c, connection);
    expect(framesOf(connection, 'announce').at(-1)).toEqual({ t: 'announce', ids: [cid(1)] });
  });

  it('discloses nothing before quorum, then everything at once; a lost quorum withdraws nothing', async () => {
    const { url, connections } = await startScripted((c) => c.send(welcome(0, 2)));
    const c = client(url);
    const quorums: boolean[] = [];
    c.on('quorum', (q) => quorums.push(q));
    await c.connect();
    const [connection] = connections;
    if (!connection) throw new Error('no connection');
    expect(c.quorumReached).toBe(false);
    const ids = cids(0, 2000);
    c.announce(ids.slice(0, 1500));
    c.announce(ids.slice(1500));
    c.withdraw([cid(7)]);
    await barrier(c, connection);
    expect(framesOf(connection, 'announce')).toEqual([]);
    expect(framesOf(connection, 'withdraw')).toEqual([]);

    connection.send({ t: 'quorum', reached: true });
    await expect.poll(() => c.quorumReached).toBe(true);
    await barrier(c, connection);
    const expected = ids.filter((id) => id !== cid(7));
    expect(framesOf(connection, 'announce').map((m) => m.ids.length)).toEqual([
      BATCH,
      expected.length - BATCH,
    ]);
    expect(idsSent(connection, 'announce')).toEqual(expected);

    connection.send({ t: 'quorum', reached: false });
    await expect.poll(() => c.quorumReached).toBe(false);
    await barrier(c, connection);
    expect(framesOf(connection, 'withdraw')).toEqual([]);
    expect(quorums).toEqual([true, false]);
    // Finds short-circuit again, but what we hold stays announced and new ids still go out.
    expect(await c.find(cid(1))).toEqual([]);
    c.announce([cid(5000)]);
    await barrier(c, connection);
    expect(framesOf(connection, 'find')).toEqual([]);
    expect(framesOf(connection, 'announce').at(-1)).toEqual({ t: 'announce', ids: [cid(5000)] });
  });

  it('announces everything held again after a reconnect, once that socket has quorum', async () => {
    const { url, connections } = await startScripted((conn) =>
      conn.send(welcome(connections.length === 1 ? 1 : 0)),
    );
    const c = client(url);
    await c.connect();
    c.announce(cids(0, 1500));
    const [first] = connections;
    if (!first) throw new Error('no connection');
    await barrier(c, first);
    expect(idsSent(first, 'announce')).toHaveLength(1500);

    const closed = new Promise<void>((resolve) =>
      c.on('state', (s) => s === 'closed' && resolve()),
    );
    first.ws.terminate();
    await closed;
    expect(c.quorumReached).toBe(false);
    // While away: a withdrawal is only remembered, an announcement waits.
    c.withdraw([cid(0)]);
    c.announce([cid(9000)]);

    await new Promise<string>((resolve) => c.on('welcome', resolve));
    expect(c.stats.reconnects).toBe(1);
    const second = connections[1];
    if (!second) throw new Error('no second connection');
    await barrier(c, second);
    // The second welcome says peers 0: no quorum yet, nothing sent.
    expect(second.frames).toEqual([{ t: 'join', protocol: SIGNALING_PROTOCOL }]);
    second.send({ t: 'quorum', reached: true });
    await expect.poll(() => c.quorumReached).toBe(true);
    await barrier(c, second);
    expect(idsSent(second, 'announce')).toEqual([...cids(1, 1499), cid(9000)]);
    expect(framesOf(second, 'withdraw')).toEqual([]);
  });

  it('find resolves [] at once, sending nothing, before quorum; rejects when not joined', async () => {
    const { url, connections } = await startScripted((conn) => conn.send(welcome(0, 1)));
    const c = client(url);
    expect(isPeerConnectError(await rejection(c.find(cid(1))), 'signaling-unavailable')).toBe(true);
    await c.connect();
    const started = performance.now();
    expect(await c.find(cid(1))).toEqual([]);
    expect(performance.now() - started).toBeLessThan(SLACK_MS);
    const [connection] = connections;
    if (!connection) throw new Error('no connection');
    await barrier(c, connection);
    expect(framesOf(connection, 'find')).toEqual([]);
    await expect(c.find('not-a-content-id')).rejects.toThrow(RangeError);
    expect(() => c.announce(['XYZ'])).toThrow(RangeError);
  });

  it('finds with a v2 frame, and times out an unanswered find', async () => {
    const { url, connections } = await startScripted(undefined, (conn, m) => {
      if (m.t === 'find' && m.content === cid(1)) {
        conn.send({ t: 'found', id: m.id, content: m.content, peers: [OTHER] });
      }
    });
    const c = client(url);
    await c.connect();
    expect(await c.find(cid(1))).toEqual([OTHER]);
    expect(framesOf(connections[0]!, 'find')).toEqual([
      { t: 'find', id: 0, content: cid(1), max: SIGNALING_LIMITS.maxFoundPeers },
    ]);
    const started = performance.now();
    const err = await rejection(c.find(cid(2)));
    expect(isPeerConnectError(err, 'peer-timeout')).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(FIND_TIMEOUT_MS - 1);
    expect(performance.now() - started).toBeLessThan(FIND_TIMEOUT_MS + SLACK_MS);
  });

  it('holds finds for QUORUM_SETTLE_MS after its join gave the others their quorum, not otherwise', async () => {
    const answer = (conn: Connection, m: ClientMessage) => {
      if (m.t === 'find') conn.send({ t: 'found', id: m.id, content: m.content, peers: [OTHER] });
    };
    // peers 1, minSwarm 1: the one other peer was alone and announces only now.
    const fresh = await startScripted((conn) => conn.send(welcome(1, 1)), answer);
    const first = client(fresh.url);
    await first.connect();
    let started = performance.now();
    expect(await first.find(cid(1))).toEqual([OTHER]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(QUORUM_SETTLE_MS - 50);
    // A swarm that had its quorum already: at once.
    const steady = await startScripted((conn) => conn.send(welcome(3, 1)), answer);
    const second = client(steady.url);
    await second.connect();
    started = performance.now();
    expect(await second.find(cid(1))).toEqual([OTHER]);
    expect(performance.now() - started).toBeLessThan(QUORUM_SETTLE_MS - 50);
  });

  for (const withErrorFrame of [true, false]) {
    it(`a 4000 close (protocol mismatch${withErrorFrame ? ', after its error' : ''}) stops reconnecting for good`, async () => {
      const { url, connections } = await startScripted((conn) => {
        if (withErrorFrame) {
          conn.send({ t: 'error', code: 'protocol-mismatch', message: 'speak 3' });
        }
        conn.ws.close(4000, 'speak signaling protocol 3');
      });
      const c = client(url);
      const err = await rejection(c.connect());
      expect(isPeerConnectError(err, 'signaling-unavailable')).toBe(true);
      expect(c.state).toBe('closed');
      await sleep(PAST_FIRST_RETRY_MS);
      expect(connections).toHaveLength(1);
      expect(c.stats.reconnects).toBe(0);
      expect(c.state).toBe('closed');
      // Asking again does not help: this client cannot speak that server's protocol.
      expect(isPeerConnectError(await rejection(c.connect()), 'signaling-unavailable')).toBe(true);
      await sleep(PAST_FIRST_RETRY_MS);
      expect(connections).toHaveLength(1);
    });
  }

  it('a 4000 close while joined rejects pending finds and does not reconnect', async () => {
    const { url, connections } = await startScripted();
    const c = client(url);
    await c.connect();
    const pending = rejection(c.find(cid(1)));
    connections[0]?.ws.close(4000, 'protocol changed');
    expect(isPeerConnectError(await pending, 'signaling-unavailable')).toBe(true);
    await sleep(PAST_FIRST_RETRY_MS);
    expect(connections).toHaveLength(1);
    expect(c.state).toBe('closed');
  });

  it('drops and counts malformed frames', async () => {
    const { url, connections } = await startScripted((conn) => {
      conn.send('{oops');
      conn.send(JSON.stringify({ t: 'welcome', peerId: 'short', peers: 0, minSwarm: 1 }));
      conn.send(JSON.stringify({ t: 'have', have: '' }));
      conn.ws.send(Buffer.from('binary'), { binary: true });
      conn.send(welcome());
    });
    const c = client(url);
    expect(await c.connect()).toBe(PEER);
    expect(c.stats.malformedFrames).toBe(4);
    const connection = connections[0]!;
    const answer = c.find(cid(1));
    await expect.poll(() => framesOf(connection, 'find')).toHaveLength(1);
    // A second welcome, and a found naming other content, are not believed either.
    connection.send(welcome());
    connection.send({ t: 'found', id: 0, content: cid(2), peers: [OTHER] });
    connection.send({ t: 'found', id: 0, content: cid(1), peers: [] });
    expect(await answer).toEqual([]);
    expect(c.stats.malformedFrames).toBe(6);
    expect(c.state).toBe('open');
  });

  it('remembers at most maxAnnouncedIds, counting the rest in droppedIds', async () => {
    const { url, connections } = await startScripted();
    const c = client(url);
    await c.connect();
    c.announce(cids(0, CAP + 10));
    expect(c.stats.droppedIds).toBe(10);
    c.announce(cids(0, 5));
    expect(c.stats.droppedIds).toBe(10);
    c.withdraw([cid(0)]);
    c.announce([cid(CAP + 10), cid(CAP + 11)]);
    expect(c.stats.droppedIds).toBe(11);
    const connection = connections[0]!;
    await barrier(c, connection);
    const sent = idsSent(connection, 'announce');
    expect(sent).toHaveLength(CAP + 1);
    expect(sent.at(-1)).toBe(cid(CAP + 10));
    expect(framesOf(connection, 'announce').every((m) => m.ids.length <= BATCH)).toBe(true);
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
    const { url } = await startScripted(() => {});
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
    await sleep(PAST_FIRST_RETRY_MS);
    expect(c.state).toBe('closed');
    expect(c.stats.reconnects).toBe(0);
  });

  it('rejects pending finds at once when the socket drops', async () => {
    const { url, connections } = await startScripted();
    const c = client(url);
    await c.connect();
    const pending = rejection(c.find(cid(1)));
    const started = performance.now();
    connections[0]?.ws.terminate();
    expect(isPeerConnectError(await pending, 'signaling-unavailable')).toBe(true);
    expect(performance.now() - started).toBeLessThan(FIND_TIMEOUT_MS / 2);
  });

  it('reconnects to a restarted real server and announces there again', async () => {
    const first = await startSignaling();
    const c = client(first.url);
    const oldId = await c.connect();
    const closed = new Promise<void>((resolve) =>
      c.on('state', (s) => s === 'closed' && resolve()),
    );
    await first.stop();
    await closed;
    c.announce([cid(4)]);

    const rejoined = new Promise<string>((resolve) => c.on('welcome', resolve));
    const second = await startSignaling({}, first.port);
    const newId = await rejoined;
    expect(newId).not.toBe(oldId);
    expect(c.state).toBe('open');
    expect(c.stats.reconnects).toBeGreaterThanOrEqual(1);

    const other = client(second.url);
    await other.connect();
    await expect.poll(() => other.find(cid(4))).toEqual([newId]);
  });

  it('keeps retrying after a failed first connect, until closed', async () => {
    const server = createServer();
    const port = await listen(server);
    stopServer(server);
    const c = client(`ws://127.0.0.1:${port}${PATHS.signal}`);
    await rejection(c.connect());
    const joined = new Promise<string>((resolve) => c.on('welcome', resolve));
    await startSignaling({}, port);
    expect(await joined).toMatch(/^[A-Za-z0-9_-]{16}$/);
    c.close();
    expect(c.state).toBe('closed');
  });
});

describe('FakeSignalingClient', () => {
  const URL = 'ws://fake.invalid/signal';

  afterEach(() => resetHubs());

  function fake(): FakeSignalingClient {
    return new FakeSignalingClient({ url: URL });
  }

  it('has every public member of SignalingClient', () => {
    const surface: Pick<SignalingClient, keyof SignalingClient> = fake();
    expect(surface.state).toBe('closed');
  });

  it('answers finds from what others announced, only with quorum', async () => {
    const hub = hubAt(URL);
    hub.minSwarm = 2;
    const a = fake();
    const quorums: boolean[] = [];
    a.on('quorum', (q) => quorums.push(q));
    const aId = await a.connect();
    a.announce([cid(1)]);
    const b = fake();
    await b.connect();
    expect(b.quorumReached).toBe(false);
    expect(await b.find(cid(1))).toEqual([]);
    expect(b.finds).toEqual([]);

    const c = fake();
    await c.connect();
    expect(c.quorumReached).toBe(true);
    expect(quorums).toEqual([true]);
    expect(await c.find(cid(1))).toEqual([aId]);
    expect(await a.find(cid(1))).toEqual([]);
    expect(c.finds).toEqual([cid(1)]);

    // A lost quorum withdraws nothing: finds are empty until it returns.
    c.close();
    expect(quorums).toEqual([true, false]);
    expect(await b.find(cid(1))).toEqual([]);
    hub.minSwarm = 1;
    expect(quorums).toEqual([true, false, true]);
    expect(await b.find(cid(1))).toEqual([aId]);
    a.withdraw([cid(1)]);
    expect(await b.find(cid(1))).toEqual([]);
  });

  it('discloses nothing announced before quorum on a join; keeps it across a kick', async () => {
    const hub = hubAt(URL);
    const a = fake();
    await a.connect();
    a.announce([cid(1)]);
    expect(a.discloses(cid(1))).toBe(false);
    const b = fake();
    await b.connect();
    expect(a.discloses(cid(1))).toBe(true);
    hub.kick(a);
    expect(a.state).toBe('closed');
    expect(a.quorumReached).toBe(false);
    expect(await b.find(cid(1))).toEqual([]);
    const again = await a.connect();
    expect(await b.find(cid(1))).toEqual([again]);
  });

  it('caps what it remembers, and fails joins while the hub is down', async () => {
    const a = fake();
    a.announce(cids(0, CAP + 3));
    expect(a.stats.droppedIds).toBe(3);
    expect(a.announced.size).toBe(CAP);
    expect(() => a.announce(['nope'])).toThrow(RangeError);
    hubAt(URL).down = true;
    expect(isPeerConnectError(await rejection(a.connect()), 'signaling-unavailable')).toBe(true);
    expect(isPeerConnectError(await rejection(a.find(cid(1))), 'signaling-unavailable')).toBe(true);
  });
});
