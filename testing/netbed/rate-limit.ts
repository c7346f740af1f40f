/**
 * Bandwidth limits on a link with `tc ... tbf` (token bucket). This kernel has no `netem`
 * (delay, loss) and no `fq`/`fq_codel`: delay needs a user-space proxy.
 */

export interface RateLimit {
  /** Sustained rate, megabits per second. */
  mbit: number;
  /** Bucket size in KiB; default: 10 ms worth of the rate, at least 16 KiB. */
  burstKib?: number;
  /** Longest a packet may wait in the queue before it is dropped; default 50 ms. */
  latencyMs?: number;
}

const DEFAULT_LATENCY_MS = 50;
const MIN_BURST_KIB = 16;
const BURST_WINDOW_S = 0.01;

/** `tc` argument lists (without the leading `tc`) that limit what `dev` sends to `limit`. */
export function rateLimitCommands(dev: string, limit: RateLimit): string[][] {
  if (!(limit.mbit > 0)) throw new Error(`rate limit must be > 0 mbit, not ${limit.mbit}`);
  const burst =
    limit.burstKib ??
    Math.max(MIN_BURST_KIB, Math.ceil((limit.mbit * 1e6 * BURST_WINDOW_S) / 8 / 1024));
  const latency = limit.latencyMs ?? DEFAULT_LATENCY_MS;
  return [
    [
      'qdisc',
      'replace',
      'dev',
      dev,
      'root',
      'tbf',
      'rate',
      `${limit.mbit}mbit`,
      'burst',
      `${burst}kb`,
      'latency',
      `${latency}ms`,
    ],
  ];
}

/** `tc` arguments that remove a limit from `dev` (back to the default qdisc). */
export function clearRateLimitCommand(dev: string): string[] {
  return ['qdisc', 'del', 'dev', dev, 'root'];
}
