import type { RandomInt } from './random-sample.js';
import { type Joined, Swarm, type SwarmMember } from './swarm.js';

/** What happens to this node's own peers, for the cluster to tell the other nodes. */
export interface SwarmEvents {
  joined(swarm: string, peerId: string): void;
  left(swarm: string, peerId: string): void;
  announced(swarm: string, peerId: string, ids: readonly string[]): void;
  withdrew(swarm: string, peerId: string, ids: readonly string[]): void;
}

/**
 * The swarms of this process by key (a site's origin), created by their first joiner and
 * forgotten when their last peer leaves, so nothing about a visitor outlives its socket.
 *
 * With Redis (cluster.ts) a swarm also holds the other nodes' peers, mirrored from their
 * events: members with a `node`, whose relays are published to that node. Changes to local
 * peers go through here so that `events` hears of every one.
 */
export class SwarmDirectory {
  private readonly swarms = new Map<string, Swarm>();

  /** Set by a cluster: told of every change to a local peer. */
  events: SwarmEvents | undefined;

  constructor(
    /** Other peers a swarm needs before anyone is told who holds what. */
    readonly minSwarm: number,
    private readonly random?: RandomInt,
  ) {}

  /** Every swarm, for a cluster's resync. */
  all(): IterableIterator<Swarm> {
    return this.swarms.values();
  }

  get size(): number {
    return this.swarms.size;
  }

  /** Members of the largest swarm (0 with none): read at scrape time, O(swarms). */
  get largestSwarm(): number {
    let largest = 0;
    for (const swarm of this.swarms.values()) largest = Math.max(largest, swarm.size);
    return largest;
  }

  /** (peer, content id) pairs announced in every swarm: read at scrape time, O(swarms). */
  get announced(): number {
    let total = 0;
    for (const swarm of this.swarms.values()) total += swarm.announced;
    return total;
  }

  get(key: string): Swarm | undefined {
    return this.swarms.get(key);
  }

  /** Adds `member` to swarm `key`, creating the swarm if it does not exist. */
  join(key: string, member: SwarmMember): { swarm: Swarm; joined: Joined } {
    let swarm = this.swarms.get(key);
    if (!swarm) {
      swarm = new Swarm(key, this.minSwarm, this.random);
      this.swarms.set(key, swarm);
    }
    const joined = swarm.add(member);
    if (member.node === undefined) this.events?.joined(key, member.peerId);
    return { swarm, joined };
  }

  /** Adds ids to what `joined` holds, up to `cap`; returns how many were ignored. */
  announce(swarm: Swarm, joined: Joined, ids: readonly string[], cap: number): number {
    const ignored = swarm.announce(joined, ids, cap);
    if (joined.member.node === undefined && this.events) {
      const kept = ignored === 0 ? ids : ids.filter((id) => joined.positions.has(id));
      if (kept.length > 0) this.events.announced(swarm.key, joined.member.peerId, kept);
    }
    return ignored;
  }

  withdraw(swarm: Swarm, joined: Joined, ids: readonly string[]): void {
    swarm.withdraw(joined, ids);
    if (joined.member.node === undefined)
      this.events?.withdrew(swarm.key, joined.member.peerId, ids);
  }

  leave(swarm: Swarm, joined: Joined): void {
    swarm.remove(joined);
    if (joined.member.node === undefined) this.events?.left(swarm.key, joined.member.peerId);
    if (swarm.size === 0 && this.swarms.get(swarm.key) === swarm) this.swarms.delete(swarm.key);
  }
}
