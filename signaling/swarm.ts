import type { Bitfield, ServerMessage } from '../protocol/index.js';

/**
 * Someone reachable in a swarm. Today that is a local WebSocket connection; with Redis scale-out
 * it can also be a stub whose `send` publishes to the node that holds the peer's socket, so the
 * swarm and the connection code stay unchanged.
 */
export interface SwarmMember {
  readonly peerId: string;
  send(message: ServerMessage): void;
}

interface Entry {
  readonly member: SwarmMember;
  have: Bitfield;
}

/** The peers sharing one manifest version, and which of them hold which asset. */
export class Swarm {
  private readonly entries = new Map<string, Entry>();
  /** Asset index -> holders, so `find` costs O(holders) rather than O(peers x assets). */
  private readonly holders = new Map<number, Set<string>>();

  constructor(
    readonly id: string,
    readonly assets: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  has(peerId: string): boolean {
    return this.entries.has(peerId);
  }

  member(peerId: string): SwarmMember | undefined {
    return this.entries.get(peerId)?.member;
  }

  add(member: SwarmMember, have: Bitfield): void {
    if (this.entries.has(member.peerId)) throw new Error(`peer ${member.peerId} already joined`);
    this.checkLength(have);
    this.entries.set(member.peerId, { member, have });
    this.index(member.peerId, undefined, have);
  }

  setHave(peerId: string, have: Bitfield): void {
    const entry = this.entries.get(peerId);
    if (!entry) return;
    this.checkLength(have);
    this.index(peerId, entry.have, have);
    entry.have = have;
  }

  remove(peerId: string): void {
    const entry = this.entries.get(peerId);
    if (!entry) return;
    this.index(peerId, entry.have, undefined);
    this.entries.delete(peerId);
  }

  /** Up to `max` holders of `asset` other than `except`, chosen at random to spread the load. */
  findHolders(asset: number, max: number, except: string): string[] {
    const sample: string[] = [];
    let seen = 0;
    // Reservoir sampling: one pass over the holders, memory bounded by `max`.
    for (const peerId of this.holders.get(asset) ?? []) {
      if (peerId === except) continue;
      seen++;
      if (sample.length < max) sample.push(peerId);
      else {
        const slot = Math.floor(Math.random() * seen);
        if (slot < max) sample[slot] = peerId;
      }
    }
    return sample;
  }

  /** Moves `peerId` between holder sets for every bit that differs; compares a byte at a time. */
  private index(peerId: string, before: Bitfield | undefined, after: Bitfield | undefined): void {
    const byteLength = Math.ceil(this.assets / 8);
    for (let i = 0; i < byteLength; i++) {
      const old = before?.bytes[i] ?? 0;
      const now = after?.bytes[i] ?? 0;
      if (old === now) continue;
      for (let bit = 0; bit < 8; bit++) {
        const mask = 0x80 >> bit;
        if (((old ^ now) & mask) === 0) continue;
        const asset = i * 8 + bit;
        if (now & mask) this.holdersOf(asset).add(peerId);
        else this.dropHolder(asset, peerId);
      }
    }
  }

  private holdersOf(asset: number): Set<string> {
    let set = this.holders.get(asset);
    if (!set) {
      set = new Set();
      this.holders.set(asset, set);
    }
    return set;
  }

  private dropHolder(asset: number, peerId: string): void {
    const set = this.holders.get(asset);
    set?.delete(peerId);
    if (set?.size === 0) this.holders.delete(asset);
  }

  private checkLength(have: Bitfield): void {
    if (have.length !== this.assets) {
      throw new RangeError(`bitfield of ${have.length} bits for a swarm of ${this.assets} assets`);
    }
  }
}
