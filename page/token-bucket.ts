/**
 * A byte-rate limiter: `rate` bytes per second, up to `burst` at once. `reserve` never refuses;
 * it takes the bytes now (the balance may go negative) and says how long the caller must wait
 * before sending them, so a sender paced by it never exceeds `burst + rate × elapsed`.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly rate: number,
    readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.updatedAt = now();
  }

  /** Takes `bytes`; returns the milliseconds to wait before sending them (0: send now). */
  reserve(bytes: number): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) * this.rate) / 1000);
    this.updatedAt = now;
    this.tokens -= bytes;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.rate);
  }
}
