/**
 * The run's frame rate, across all sessions: a token bucket that sessions wait on, so the
 * fuzzer loads the server steadily rather than by how fast this process can generate frames.
 */
export class Pacer {
  private tokens: number;
  private last = performance.now();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  /** Counts a frame sent without waiting: the sessions that do wait pay for it. */
  owe(): void {
    this.tokens -= 1;
  }

  /** Resolves once a frame may go. */
  async take(): Promise<void> {
    for (;;) {
      const now = performance.now();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await new Promise((r) =>
        setTimeout(r, Math.ceil(((1 - this.tokens) * 1000) / this.perSecond)),
      );
    }
  }
}
