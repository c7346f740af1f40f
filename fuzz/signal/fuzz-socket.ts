import { WebSocket } from 'ws';
import {
  PATHS,
  parseServerMessage,
  type ServerMessage,
  SIGNALING_PROTOCOL,
} from '../../protocol/index.js';
import { type Frame, SENDER_TAG } from './frames.js';
import { bump, type RunStats, type ScenarioTally } from './run-stats.js';

/** An upgrade that has not completed by now is given up (and counted as refused: 'timeout'). */
const OPEN_TIMEOUT_MS = 5_000;
/** Past this much unsent data, a sender waits: the fuzzer floods the server, not its own heap. */
const MAX_UNSENT_BYTES = 512 * 1024;
const UNSENT_POLL_MS = 10;
const SENDER_TAG_VALUE = new RegExp(`${SENDER_TAG}([A-Za-z0-9_-]{16})`);

/** The Origin header a fuzz socket upgrades with. */
export type OriginChoice = 'own' | 'none' | 'null' | 'cross' | 'odd';
const ORIGINS: Record<Exclude<OriginChoice, 'own' | 'none'>, readonly string[]> = {
  null: ['null'],
  cross: ['https://evil.example', 'http://localhost:1', 'https://a.b.c.example:8443'],
  odd: ['http://127.0.0.1:80/path', 'HTTP://127.0.0.1', 'ftp://127.0.0.1', 'x'.repeat(400), ' '],
};

type Predicate = (m: ServerMessage) => boolean;

/**
 * One fuzz client connection: counts every frame it sends, checks every message the server
 * sends back (it must be a valid server message, and a relayed offer must carry its real
 * sender's id), and records how it ended.
 */
export class FuzzSocket {
  private readonly waiters = new Set<{ match: Predicate; done: (m?: ServerMessage) => void }>();
  peerId: string | undefined;
  /** Messages received, by type. */
  readonly received: Record<string, number> = {};
  /** Error codes received. */
  readonly errors: Record<string, number> = {};
  /** The server's close code, or undefined while open or when we ended it first. */
  closeCode: number | undefined;
  private endedByUs = false;
  readonly closed: Promise<void>;

  private constructor(
    private readonly ws: WebSocket,
    private readonly scenario: string,
    private readonly stats: RunStats,
  ) {
    ws.on('message', (data, isBinary) => this.onMessage(data.toString(), isBinary));
    ws.on('error', () => {});
    this.closed = new Promise((resolve) => {
      ws.once('close', (code) => {
        if (!this.endedByUs) this.closeCode = code;
        for (const waiter of this.waiters) waiter.done();
        resolve();
      });
    });
  }

  /** Opens a socket; undefined (and counted) when the server refuses the upgrade. */
  static open(options: {
    origin: string;
    localAddress: string;
    originChoice: OriginChoice;
    scenario: string;
    stats: RunStats;
    pick: (items: readonly string[]) => string;
  }): Promise<FuzzSocket | undefined> {
    const { origin, originChoice, stats, scenario } = options;
    const header =
      originChoice === 'own'
        ? origin
        : originChoice === 'none'
          ? undefined
          : options.pick(ORIGINS[originChoice]);
    const ws = new WebSocket(`${origin.replace(/^http/, 'ws')}${PATHS.signal}`, {
      localAddress: options.localAddress,
      handshakeTimeout: OPEN_TIMEOUT_MS,
      perMessageDeflate: false,
      ...(header !== undefined && { origin: header }),
    });
    const socket = new FuzzSocket(ws, scenario, stats);
    return new Promise((resolve) => {
      ws.once('open', () => resolve(socket));
      ws.once('unexpected-response', (_req, res) => {
        bump(stats.tally(scenario).refused, res.statusCode ?? 'none');
        res.resume();
        ws.terminate();
        resolve(undefined);
      });
      ws.once('error', (err) => {
        if (ws.readyState !== WebSocket.OPEN) {
          bump(stats.tally(scenario).refused, /timeout/i.test(err.message) ? 'timeout' : 'error');
          resolve(undefined);
        }
      });
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends `frame` unless closed (false); waits first while its unsent data is over the cap. */
  async send(frame: Frame): Promise<boolean> {
    while (this.isOpen && this.ws.bufferedAmount > MAX_UNSENT_BYTES) {
      await new Promise((r) => setTimeout(r, UNSENT_POLL_MS));
    }
    if (!this.isOpen) return false;
    this.ws.send(frame.data, { binary: typeof frame.data !== 'string' });
    this.stats.countFrame(this.scenario, frame.kind);
    return true;
  }

  /** Joins and resolves with the welcome, or undefined (refused, closed, too slow). */
  async join(timeoutMs: number): Promise<string | undefined> {
    if (
      !(await this.send({
        kind: 'valid',
        data: JSON.stringify({ t: 'join', protocol: SIGNALING_PROTOCOL }),
      }))
    ) {
      return undefined;
    }
    const welcome = await this.next((m) => m.t === 'welcome', timeoutMs);
    return welcome?.t === 'welcome' ? welcome.peerId : undefined;
  }

  /** Resolves once error `code` has been received (maybe already), false after `timeoutMs`. */
  async gotError(code: string, timeoutMs: number): Promise<boolean> {
    if (this.errors[code]) return true;
    return (await this.next((m) => m.t === 'error' && m.code === code, timeoutMs)) !== undefined;
  }

  /** The next message that matches, or undefined after `timeoutMs` or once closed. */
  next(match: Predicate, timeoutMs: number): Promise<ServerMessage | undefined> {
    if (!this.isOpen) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter = {
        match,
        done: (m?: ServerMessage) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(m);
        },
      };
      const timer = setTimeout(() => waiter.done(), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Stops reading: the server's sends pile up as if this visitor's tab were frozen. */
  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  /** Ends it from our side (not counted as a server close) and records how it ended. */
  async end(tally: ScenarioTally): Promise<void> {
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) {
      this.endedByUs = true;
      this.ws.terminate();
    }
    await this.closed;
    bump(tally.closes, this.closeCode ?? 'client');
  }

  private onMessage(text: string, isBinary: boolean): void {
    if (isBinary) {
      this.stats.violation(`${this.scenario}: the server sent a binary frame`);
      return;
    }
    let message: ServerMessage;
    try {
      message = parseServerMessage(text);
    } catch (err) {
      this.stats.violation(
        `${this.scenario}: invalid server message (${(err as Error).message}): ${text.slice(0, 200)}`,
      );
      return;
    }
    this.stats.countReceived(message.t, message.t === 'error' ? message.code : undefined);
    bump(this.received, message.t);
    if (message.t === 'error') bump(this.errors, message.code);
    if (message.t === 'welcome') this.peerId = message.peerId;
    if (message.t === 'signal' && 'sdp' in message.data) {
      const claimed = SENDER_TAG_VALUE.exec(message.data.sdp)?.[1];
      if (claimed !== undefined && claimed !== message.from) {
        this.stats.violation(
          `${this.scenario}: a signal sent by ${claimed} arrived stamped from ${message.from}`,
        );
      }
    }
    for (const waiter of this.waiters) if (waiter.match(message)) waiter.done(message);
  }
}
