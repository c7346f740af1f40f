/** Latencies of one kind of probe, summarized for the report. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** How many were over the limit the run holds this probe to. */
  readonly overLimit: number;
}

export class Latencies {
  private readonly values: number[] = [];

  constructor(readonly limitMs: number) {}

  add(ms: number): void {
    this.values.push(ms);
  }

  summary(): LatencySummary {
    const sorted = [...this.values].sort((a, b) => a - b);
    const at = (q: number) =>
      sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    return {
      count: sorted.length,
      p50: at(0.5),
      p99: at(0.99),
      max: sorted[sorted.length - 1] ?? 0,
      overLimit: sorted.filter((ms) => ms > this.limitMs).length,
    };
  }
}
