import type { Bitfield } from '../protocol/index.js';
import { Swarm, type SwarmMember } from './swarm.js';

/**
 * The swarms of this process by id (manifest version), created by their first joiner and
 * forgotten when their last peer leaves.
 *
 * Scale-out extension point: a Redis-backed directory would publish join/have/leave on a
 * `swarm:<id>` channel, mirror remote peers into each Swarm as members whose `send` publishes
 * to the owning node, and subscribe only while a swarm has local peers.
 */
export class SwarmDirectory {
  private readonly swarms = new Map<string, Swarm>();

  get size(): number {
    return this.swarms.size;
  }

  /** Members of the largest swarm (0 with none): read at scrape time, O(swarms). */
  get largestSwarm(): number {
    let largest = 0;
    for (const swarm of this.swarms.values()) largest = Math.max(largest, swarm.size);
    return largest;
  }

  get(id: string): Swarm | undefined {
    return this.swarms.get(id);
  }

  /** Adds `member` to swarm `id`, creating it with `have.length` assets if it does not exist. */
  join(id: string, member: SwarmMember, have: Bitfield): Swarm {
    let swarm = this.swarms.get(id);
    if (!swarm) {
      swarm = new Swarm(id, have.length);
      this.swarms.set(id, swarm);
    }
    swarm.add(member, have);
    return swarm;
  }

  leave(swarm: Swarm, peerId: string): void {
    swarm.remove(peerId);
    if (swarm.size === 0 && this.swarms.get(swarm.id) === swarm) this.swarms.delete(swarm.id);
  }
}
