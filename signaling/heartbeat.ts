/** Something the heartbeat pings: drops itself if the previous ping went unanswered. */
export interface Beating {
  heartbeat(): void;
}

/** Longest pause between two heartbeat ticks: each tick pings one bucket of sockets. */
export const HEARTBEAT_TICK_MS = 100;

/**
 * Pings every member once per `intervalMs`, spread over the interval in buckets, so no tick
 * pings more than about (members × tick / interval) sockets: pinging 20,000 sockets in one
 * tick held the event loop for ~1.2 s, and every relay with it.
 */
export class Heartbeat<T extends Beating> {
  private readonly buckets: Set<T>[];
  private readonly bucketOf = new Map<T, Set<T>>();
  private cursor = 0;
  private nextBucket = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs: number, tickMs = HEARTBEAT_TICK_MS) {
    const count = Math.max(1, Math.round(intervalMs / tickMs));
    this.buckets = Array.from({ length: count }, () => new Set<T>());
    this.timer = setInterval(() => this.tick(), intervalMs / count);
    this.timer.unref();
  }

  get size(): number {
    return this.bucketOf.size;
  }

  add(member: T): void {
    if (this.bucketOf.has(member)) return;
    const bucket = this.buckets[this.nextBucket] as Set<T>;
    this.nextBucket = (this.nextBucket + 1) % this.buckets.length;
    bucket.add(member);
    this.bucketOf.set(member, bucket);
  }

  delete(member: T): void {
    this.bucketOf.get(member)?.delete(member);
    this.bucketOf.delete(member);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const bucket = this.buckets[this.cursor] as Set<T>;
    this.cursor = (this.cursor + 1) % this.buckets.length;
    // A copy: a heartbeat may end its member, which then leaves the bucket.
    for (const member of [...bucket]) member.heartbeat();
  }
}
