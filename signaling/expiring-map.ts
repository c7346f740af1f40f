interface Slot<V> {
  readonly value: V;
  readonly expiresAt: number;
}

/**
 * A map whose entries expire `ttlMs` after they were set and which holds at most `capacity`
 * of them, forgetting the oldest first. Every entry lives equally long, so insertion order is
 * expiry order: expired entries are dropped from the front, O(1) amortized per operation.
 */
export class ExpiringMap<V> {
  private readonly slots = new Map<string, Slot<V>>();

  constructor(
    private readonly capacity: number,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** Live entries. */
  get size(): number {
    this.prune();
    return this.slots.size;
  }

  get(key: string): V | undefined {
    const slot = this.slots.get(key);
    if (!slot) return undefined;
    if (slot.expiresAt > this.now()) return slot.value;
    this.slots.delete(key);
    return undefined;
  }

  /** Sets `key` afresh (a new expiry, now the newest), forgetting the oldest entry when full. */
  set(key: string, value: V): void {
    this.slots.delete(key);
    this.prune();
    if (this.slots.size >= this.capacity) {
      const oldest = this.slots.keys().next();
      if (!oldest.done) this.slots.delete(oldest.value);
    }
    this.slots.set(key, { value, expiresAt: this.now() + this.ttlMs });
  }

  delete(key: string): void {
    this.slots.delete(key);
  }

  private prune(): void {
    const now = this.now();
    for (const [key, slot] of this.slots) {
      if (slot.expiresAt > now) return;
      this.slots.delete(key);
    }
  }
}
