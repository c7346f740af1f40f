import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import {
  PATHS,
  parseServerMessage,
  type ServerMessage,
  SIGNALING_PROTOCOL,
} from '../../protocol/index.js';
import { Latencies, type LatencySummary } from './latency.js';

/**
 * The well-behaved visitors: A holds a content id, B keeps asking who holds it (it must hear A)
 * and sending A an offer (A must get it, stamped from B, and answer it). Each round runs the
 * find and the offer/answer exchange; a round that does not finish within `timeoutMs` is a
 * failure. They sit in the swarm the fuzzer attacks (the server's own origin).
 */

const OPEN_TIMEOUT_MS = 10_000;
/** Unreadable frames kept for the report; past this many they are not worth the IPC. */
const MAX_INVALID_KEPT = 1_000;

export interface WatchReport {
  readonly rounds: number;
  readonly findMs: LatencySummary;
  /** B's offer to A and A's answer back to B, both relayed. */
  readonly relayMs: LatencySummary;
  readonly failures: readonly string[];
  /** Frames the pair could not read (dropped, as the agent does): judged by the run. */
  readonly invalidMessages: readonly string[];
}

type Predicate = (m: ServerMessage) => boolean;

class WatchClient {
  private readonly waiters = new Set<{ match: Predicate; done: (m: ServerMessage) => void }>();
  peerId = '';
  closedWith: number | undefined;

  private constructor(
    readonly ws: WebSocket,
    onBadMessage: (why: string) => void,
  ) {
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString();
      let message: ServerMessage;
      try {
        message = parseServerMessage(text);
      } catch (err) {
        onBadMessage(`invalid server message (${(err as Error).message}): ${text.slice(0, 200)}`);
        return;
      }
      for (const waiter of this.waiters) {
        if (!waiter.match(message)) continue;
        this.waiters.delete(waiter);
        waiter.done(message);
      }
    });
    ws.once('close', (code) => {
      this.closedWith = code;
    });
    ws.on('error', () => {});
  }

  static async join(
    origin: string,
    localAddress: string,
    onBadMessage: (why: string) => void,
  ): Promise<WatchClient> {
    const url = `${origin.replace(/^http/, 'ws')}${PATHS.signal}`;
    const ws = new WebSocket(url, { origin, localAddress, handshakeTimeout: OPEN_TIMEOUT_MS });
    const client = new WatchClient(ws, onBadMessage);
    await once(ws, 'open');
    ws.send(JSON.stringify({ t: 'join', protocol: SIGNALING_PROTOCOL }));
    const welcome = await client.next((m) => m.t === 'welcome', OPEN_TIMEOUT_MS);
    if (welcome?.t !== 'welcome') throw new Error('the watcher was not welcomed');
    client.peerId = welcome.peerId;
    return client;
  }

  send(message: unknown): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  /** The next message that matches, or undefined after `timeoutMs`. */
  next(match: Predicate, timeoutMs: number): Promise<ServerMessage | undefined> {
    return new Promise((resolve) => {
      const waiter = {
        match,
        done: (m: ServerMessage | undefined) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(m);
        },
      };
      const timer = setTimeout(() => waiter.done(undefined), timeoutMs);
      this.waiters.add(waiter);
    });
  }
}

export class Watcher {
  private readonly finds: Latencies;
  private readonly relays: Latencies;
  private rounds = 0;
  private running = true;
  private loop: Promise<void> = Promise.resolve();

  private constructor(
    private readonly a: WatchClient,
    private readonly b: WatchClient,
    private readonly content: string,
    private readonly timeoutMs: number,
    private readonly intervalMs: number,
    limitMs: number,
    private readonly failures: string[],
    private readonly invalidMessages: string[],
  ) {
    this.finds = new Latencies(limitMs);
    this.relays = new Latencies(limitMs);
  }

  /** Joins A and B from their own addresses; resolves once B finds A (the swarm is quorate). */
  static async start(options: {
    origin: string;
    localAddresses: readonly [string, string];
    content: string;
    timeoutMs: number;
    intervalMs: number;
    limitMs: number;
  }): Promise<Watcher> {
    const failures: string[] = [];
    const invalid: string[] = [];
    const note = (why: string) => {
      if (invalid.length < MAX_INVALID_KEPT) invalid.push(why);
    };
    const a = await WatchClient.join(options.origin, options.localAddresses[0], note);
    const b = await WatchClient.join(options.origin, options.localAddresses[1], note);
    a.send({ t: 'announce', ids: [options.content] });
    const watcher = new Watcher(
      a,
      b,
      options.content,
      options.timeoutMs,
      options.intervalMs,
      options.limitMs,
      failures,
      invalid,
    );
    const deadline = performance.now() + OPEN_TIMEOUT_MS;
    while (!(await watcher.findsA())) {
      if (performance.now() > deadline) throw new Error('B never found A');
      await new Promise((r) => setTimeout(r, options.intervalMs));
    }
    return watcher;
  }

  /** A's peer id: what an attacker who learned it would aim at. */
  get watchedPeer(): string {
    return this.a.peerId;
  }

  run(): void {
    const loop = async () => {
      while (this.running) {
        await this.round();
        await new Promise((r) => setTimeout(r, this.intervalMs));
      }
    };
    this.loop = loop();
  }

  async stop(): Promise<WatchReport> {
    this.running = false;
    await this.loop;
    for (const client of [this.a, this.b]) {
      if (client.closedWith !== undefined) {
        this.failures.push(`watcher ${client.peerId} was closed with ${client.closedWith}`);
      }
      client.ws.terminate();
    }
    return {
      rounds: this.rounds,
      findMs: this.finds.summary(),
      relayMs: this.relays.summary(),
      failures: this.failures,
      invalidMessages: this.invalidMessages,
    };
  }

  private fail(why: string): void {
    this.failures.push(`${new Date().toISOString()} round ${this.rounds}: ${why}`);
  }

  private async findsA(): Promise<boolean> {
    const id = this.rounds;
    this.b.send({ t: 'find', id, content: this.content });
    const found = await this.b.next((m) => m.t === 'found' && m.id === id, this.timeoutMs);
    return found?.t === 'found' && found.peers.includes(this.a.peerId);
  }

  private async round(): Promise<void> {
    this.rounds++;
    const n = this.rounds;
    let started = performance.now();
    this.b.send({ t: 'find', id: n, content: this.content });
    const found = await this.b.next((m) => m.t === 'found' && m.id === n, this.timeoutMs);
    if (found?.t !== 'found') return this.fail(`no found in ${this.timeoutMs} ms`);
    if (!found.peers.includes(this.a.peerId)) {
      return this.fail(`found without A: ${JSON.stringify(found.peers)}`);
    }
    this.finds.add(performance.now() - started);

    started = performance.now();
    const sdp = `v=0\r\na=watch:${n}\r\n`;
    const offer = this.a.next(
      (m) => m.t === 'signal' && m.from === this.b.peerId && 'sdp' in m.data && m.data.sdp === sdp,
      this.timeoutMs,
    );
    this.b.send({ t: 'signal', to: this.a.peerId, data: { type: 'offer', sdp } });
    if (!(await offer)) return this.fail(`A got no offer from B in ${this.timeoutMs} ms`);
    const answer = this.b.next(
      (m) => m.t === 'signal' && m.from === this.a.peerId && 'sdp' in m.data && m.data.sdp === sdp,
      this.timeoutMs,
    );
    this.a.send({ t: 'signal', to: this.b.peerId, data: { type: 'answer', sdp } });
    if (!(await answer)) return this.fail(`B got no answer from A in ${this.timeoutMs} ms`);
    this.relays.add(performance.now() - started);
  }
}
