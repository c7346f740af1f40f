import type { RandomInt } from './random-sample.js';
import { type Joined, Swarm, type SwarmMember } from './swarm.js';

/**
 * The swarms of this process by key (a site's origin), created by their first joiner and
 * forgotten when their last peer leaves, so nothing about a visitor outlives its socket.
 *
 * Scale-out extension point: a Redis-backed directory would publish join/announce/withdraw/leave
 * on a `swarm:<key>` channel, mirror remote peers into each Swarm as members whose `send`
 * publishes to the owning node, and subscribe only while a swarm has local peers.
 */
export class SwarmDirectory {
  private readonly swarms = new Map<string, Swarm>();

  constructor(
    /** Other peers a swarm needs before anyone is told who holds what. */
    readonly minSwarm: number,
    private readonly random?: RandomInt,
  ) {}

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
    return { swarm, joined: swarm.add(member) };
  }

  leave(swarm: Swarm, joined: Joined): void {
    swarm.remove(joined);
    if (swarm.size === 0 && this.swarms.get(swarm.key) === swarm) this.swarms.delete(swarm.key);
  }
}
