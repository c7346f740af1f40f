import { type Frame, peerId } from './frames.js';
import { FuzzSocket, type OriginChoice } from './fuzz-socket.js';
import type { Aim } from './hostile-frames.js';
import type { Pacer } from './pacer.js';
import type { Prng } from './prng.js';
import { bump, type RunStats, type ScenarioTally } from './run-stats.js';

/** Recent fuzz peer ids kept to aim at (some of them gone by the time they are used). */
const MAX_KNOWN_PEERS = 256;
/** Many sessions come from this one address, so per-address limits are met too. */
export const CROWDED_ADDRESS = '127.0.0.9';
const CROWDED_SHARE = 0.1;
/**
 * The sender tag of a socket not yet welcomed. Not a peer id: a frame built before the welcome
 * but read by the server after it is relayed under the id it was just given, and that is right.
 */
const UNJOINED_SENDER = 'unjoined';

/** What the sessions of a run share: whom to aim at, and caps on the costly scenarios. */
export class Shared {
  private readonly known: string[] = [];
  /** Paused sockets' peer ids (kick targets). */
  readonly victims = new Set<string>();
  hoarders = 0;

  constructor(
    readonly origin: string,
    /** Content ids many fuzz sockets announce, so finds have holders and relays have targets. */
    readonly hotIds: readonly string[],
    /** The well-behaved holder: what an attacker who found it would aim at. */
    readonly watchedPeer: string,
  ) {}

  addPeer(id: string): void {
    this.known.push(id);
    if (this.known.length > MAX_KNOWN_PEERS) this.known.shift();
  }

  /** A peer id to aim at: a fuzz peer (maybe gone), the watcher, or nobody at all. */
  somePeer(prng: Prng): string {
    const roll = prng.float();
    if (roll < 0.1) return this.watchedPeer;
    if (roll < 0.8 && this.known.length > 0) return prng.pick(this.known);
    return peerId(prng);
  }
}

/**
 * One fuzz session: a scenario's sockets, frames and deadline. `send` is where the run's budget,
 * pacing and deadline apply; `end` closes whatever the scenario left open.
 */
export class Session {
  readonly tally: ScenarioTally;
  private readonly sockets: FuzzSocket[] = [];
  private readonly deadline: number;

  constructor(
    readonly index: number,
    readonly scenario: string,
    readonly prng: Prng,
    readonly shared: Shared,
    private readonly stats: RunStats,
    private readonly pacer: Pacer,
    maxMs: number,
  ) {
    this.tally = stats.tally(scenario);
    this.tally.sessions++;
    this.deadline = performance.now() + maxMs;
  }

  /** Whether it may go on: budget left and its deadline not passed. */
  get live(): boolean {
    return this.stats.budgetLeft && performance.now() < this.deadline;
  }

  /** A source address of its own (127.x.y.z), or sometimes the crowded one. */
  address(offset = 0): string {
    if (this.prng.chance(CROWDED_SHARE)) return CROWDED_ADDRESS;
    const i = this.index * 4 + offset;
    return `127.${1 + ((i >>> 16) % 250)}.${(i >>> 8) & 255}.${1 + (i % 254)}`;
  }

  async open(originChoice: OriginChoice = 'own', offset = 0): Promise<FuzzSocket | undefined> {
    const socket = await FuzzSocket.open({
      origin: this.shared.origin,
      localAddress: this.address(offset),
      originChoice,
      scenario: this.scenario,
      stats: this.stats,
      pick: (items) => this.prng.pick(items),
    });
    if (socket) this.sockets.push(socket);
    return socket;
  }

  /** Opens (with the server's own origin) and joins; undefined unless welcomed. */
  async joined(timeoutMs: number, offset = 0): Promise<FuzzSocket | undefined> {
    const socket = await this.open('own', offset);
    if (!socket || !(await socket.join(timeoutMs)) || !socket.peerId) return undefined;
    this.shared.addPeer(socket.peerId);
    return socket;
  }

  /**
   * Sends one frame at the run's pace; false once the socket is closed, the budget spent or the
   * deadline passed. `burst` sends without waiting for the pacer (the tokens are still owed),
   * for floods that must outrun the server's per-connection rate.
   */
  async send(socket: FuzzSocket, frame: Frame, burst = false): Promise<boolean> {
    if (!this.live) return false;
    if (burst) this.pacer.owe();
    else await this.pacer.take();
    return socket.send(frame);
  }

  /** Counts a frame written by hand on a raw connection. */
  countRaw(): void {
    this.stats.countFrame(this.scenario, 'raw');
  }

  aim(socket: FuzzSocket): Aim {
    return { to: this.shared.somePeer(this.prng), from: socket.peerId ?? UNJOINED_SENDER };
  }

  note(key: string): void {
    bump(this.tally.notes, key);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }

  async end(): Promise<void> {
    await Promise.all(this.sockets.splice(0).map((s) => s.end(this.tally)));
  }
}
