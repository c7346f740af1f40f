import type { ServerMessage, SignalData } from '../protocol/index.js';
import { createHolder, type Holder, HolderIndex } from './holder-index.js';
import type { RandomInt } from './random-sample.js';
import type { Rejection } from './rejection.js';

/**
 * Someone reachable in a swarm. Today that is a local WebSocket connection; with Redis scale-out
 * it can also be a stub whose `send` publishes to the node that holds the peer's socket, so the
 * swarm and the connection code stay unchanged.
 */
export interface SwarmMember {
  readonly peerId: string;
  /** The node that holds this peer's socket (cluster.ts); undefined for this process. */
  readonly node?: string;
  /** A message from the server itself (quorum notices). */
  send(message: ServerMessage): void;
  /**
   * A `signal` from peer `from`, which the receiver may refuse (it is flooded, or not reading):
   * the refusal goes back to the sender, and the receiver is never closed for it.
   */
  relay(relayed: Relayed): Rejection | undefined;
}

/** A signal on its way: who sent it, what it is, and the frame the receiver gets, encoded once. */
export interface Relayed {
  readonly from: string;
  readonly type: SignalData['type'];
  /** The whole `signal` server message, at most SIGNALING_LIMITS.maxMessageBytes bytes. */
  readonly frame: string;
}

/** A member as the swarm holds it: who it is and what it announced. */
export interface Joined extends Holder {
  readonly member: SwarmMember;
}

/**
 * The peers of one site (keyed by its origin, not by a release), which content ids each holds,
 * and whether there are enough of them (`minSwarm` others) for anyone to learn who holds what.
 */
export class Swarm {
  private readonly members = new Map<string, Joined>();
  private readonly index = new HolderIndex<Joined>();

  constructor(
    readonly key: string,
    readonly minSwarm: number,
    private readonly random?: RandomInt,
  ) {}

  get size(): number {
    return this.members.size;
  }

  /** (peer, content id) pairs announced in this swarm. */
  get announced(): number {
    return this.index.announced;
  }

  has(peerId: string): boolean {
    return this.members.has(peerId);
  }

  member(peerId: string): SwarmMember | undefined {
    return this.members.get(peerId)?.member;
  }

  /** The members whose sockets are on this node, with what they announced (for a resync). */
  *local(): IterableIterator<Joined> {
    for (const joined of this.members.values()) if (joined.member.node === undefined) yield joined;
  }

  /** Whether a member sees at least `minSwarm` other peers. */
  get quorate(): boolean {
    return this.members.size - 1 >= this.minSwarm;
  }

  /**
   * Adds `member`; if that brings the others to `minSwarm`, tells each of them (the joiner
   * learns it from its welcome). Such a broadcast reaches exactly `minSwarm` members, so its
   * cost is bounded by SIGNALING_LIMITS.maxMinSwarm however large the swarm grows.
   */
  add(member: SwarmMember): Joined {
    if (this.members.has(member.peerId)) throw new Error(`peer ${member.peerId} already joined`);
    const joined: Joined = { ...createHolder(), member };
    this.members.set(member.peerId, joined);
    if (this.members.size - 1 === this.minSwarm) this.broadcastQuorum(joined, true);
    return joined;
  }

  /** Removes `joined` and everything it announced; tells the rest if quorum is lost. */
  remove(joined: Joined): void {
    if (this.members.get(joined.member.peerId) !== joined) return;
    this.index.removeAll(joined);
    this.members.delete(joined.member.peerId);
    if (this.members.size === this.minSwarm) this.broadcastQuorum(joined, false);
  }

  /** Adds content ids to what `joined` holds, up to `cap`; returns how many were ignored. */
  announce(joined: Joined, ids: readonly string[], cap: number): number {
    return this.index.add(joined, ids, cap);
  }

  withdraw(joined: Joined, ids: readonly string[]): void {
    this.index.remove(joined, ids);
  }

  /** Up to `max` random holders of `id` besides the asker; none while the swarm is too small. */
  findHolders(asker: Joined, id: string, max: number): string[] {
    if (!this.quorate) return [];
    return this.index.sample(id, max, asker, this.random).map((h) => h.member.peerId);
  }

  private broadcastQuorum(except: Joined, reached: boolean): void {
    for (const joined of this.members.values()) {
      if (joined !== except) joined.member.send({ t: 'quorum', reached });
    }
  }
}
