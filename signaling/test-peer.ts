import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { WebSocket } from 'ws';
import {
  PATHS,
  parseServerMessage,
  type ServerMessage,
  SIGNALING_PROTOCOL,
} from '../protocol/index.js';
import { attachSignaling, type SignalingOptions } from './signal-server.js';

/**
 * Test fixtures for the signaling tests (imported by *.test.ts only): a signaling server on
 * loopback and a raw ws client that queues what the server sends.
 */

const WAIT_MS = 2000;

export interface RunningSignaling {
  readonly url: string;
  /** The swarm a client without an Origin header lands in. */
  readonly ownOrigin: string;
  readonly registry: Registry;
  stop(): Promise<void>;
}

async function startSignaling(options: Partial<SignalingOptions> = {}): Promise<RunningSignaling> {
  const server = createServer();
  const registry = new Registry();
  const signaling = attachSignaling(server, { path: PATHS.signal, registry, ...options });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}${PATHS.signal}`,
    ownOrigin: `http://127.0.0.1:${port}`,
    registry,
    async stop() {
      await signaling.close();
      server.close();
      server.closeAllConnections();
    },
  };
}

type ClientOptions = ConstructorParameters<typeof WebSocket>[2];
type Welcome = Extract<ServerMessage, { t: 'welcome' }>;

export class TestPeer {
  private readonly queue: ServerMessage[] = [];
  private readonly waiting: ((m: ServerMessage) => void)[] = [];
  readonly closed: Promise<number>;
  id = '';
  welcome: Welcome | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const message = parseServerMessage(data.toString());
      const waiter = this.waiting.shift();
      if (waiter) waiter(message);
      else this.queue.push(message);
    });
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
  }

  /** Opens a socket; `all` collects it so a test's cleanup can terminate it. */
  static async open(url: string, all: TestPeer[], options?: ClientOptions): Promise<TestPeer> {
    const peer = new TestPeer(new WebSocket(url, options));
    all.push(peer);
    await once(peer.ws, 'open');
    return peer;
  }

  /** Opens and joins; resolves once welcomed. */
  static async join(url: string, all: TestPeer[], options?: ClientOptions): Promise<TestPeer> {
    const peer = await TestPeer.open(url, all, options);
    peer.send({ t: 'join', protocol: SIGNALING_PROTOCOL });
    const welcome = await peer.next();
    if (welcome.t !== 'welcome')
      throw new Error(`expected welcome, got ${JSON.stringify(welcome)}`);
    peer.id = welcome.peerId;
    peer.welcome = welcome;
    return peer;
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

  /** Messages received and not yet read. */
  get pending(): number {
    return this.queue.length;
  }

  /** Asks who holds `content`; resolves with the peers of the matching `found`. */
  async find(content: string, max?: number, id = 1): Promise<string[]> {
    this.send({ t: 'find', id, content, max });
    const found = await this.next();
    if (found.t !== 'found' || found.id !== id || found.content !== content) {
      throw new Error(`expected found ${id} for ${content}, got ${JSON.stringify(found)}`);
    }
    return found.peers;
  }

  /**
   * Resolves once the server has handled everything this peer sent before (a find answers
   * after them), skipping what arrives meanwhile but errors.
   */
  async settled(id = 0xffff_ffff): Promise<void> {
    this.send({ t: 'find', id, content: 'ffffffffffffffff' });
    for (;;) {
      const m = await this.next();
      if (m.t === 'found' && m.id === id) return;
      if (m.t === 'error') throw new Error(`error while settling: ${JSON.stringify(m)}`);
    }
  }

  /** Resolves with the next message, failing unless it is an error with `code`. */
  async error(code: string): Promise<void> {
    const message = await this.next();
    if (message.t !== 'error' || message.code !== code) {
      throw new Error(`expected error ${code}, got ${JSON.stringify(message)}`);
    }
  }
}

export async function metric(
  registry: Registry,
  name: string,
  label: Record<string, string> = {},
): Promise<number> {
  const json = await registry.getSingleMetric(name)?.get();
  const value = json?.values.find((v) =>
    Object.entries(label).every(([k, x]) => v.labels[k] === x),
  );
  return value?.value ?? 0;
}

/**
 * The servers and sockets of one test file; `cleanup()` (in an afterEach) ends them all. `join`
 * sends `origin` as the Origin header, as a browser page on that origin would.
 */
export class SignalingFixture {
  private readonly running: RunningSignaling[] = [];
  private readonly peers: TestPeer[] = [];

  async start(options: Partial<SignalingOptions> = {}): Promise<RunningSignaling> {
    const r = await startSignaling(options);
    this.running.push(r);
    return r;
  }

  open(url: string, options?: ClientOptions): Promise<TestPeer> {
    return TestPeer.open(url, this.peers, options);
  }

  join(url: string, origin?: string, options?: ClientOptions): Promise<TestPeer> {
    return TestPeer.join(url, this.peers, origin === undefined ? options : { ...options, origin });
  }

  async cleanup(): Promise<void> {
    for (const peer of this.peers.splice(0)) peer.ws.terminate();
    await Promise.all(this.running.splice(0).map((r) => r.stop()));
  }
}

/** Content id number `i` (16 hex digits), for tests that need many distinct ids. */
export function contentId(i: number): string {
  return i.toString(16).padStart(16, '0');
}
