import type { HealthReport } from './health-probe.js';
import type { WatchReport } from './watcher.js';

/**
 * The observer process (observer-main.ts) runs the health probe and the well-behaved pair away
 * from the fuzzer's own event loop, so a busy fuzzer does not show up as server latency.
 */
export interface ObserverConfig {
  readonly origin: string;
  /** Source addresses: healthz polls, watcher A, watcher B. */
  readonly healthAddress: string;
  readonly watchAddresses: readonly [string, string];
  /** The content id A announces: drawn outside the fuzz seed, so no fuzz frame names it. */
  readonly watchContent: string;
  readonly healthIntervalMs: number;
  readonly healthLimitMs: number;
  readonly watchIntervalMs: number;
  readonly watchLimitMs: number;
  /** A watcher round that takes longer has failed. */
  readonly watchTimeoutMs: number;
}

export interface ObserverReport {
  readonly health: HealthReport;
  readonly watch: WatchReport;
}

/** Observer to fuzzer. */
export type ObserverMessage =
  | { readonly t: 'ready'; readonly watchedPeer: string }
  | { readonly t: 'report'; readonly report: ObserverReport }
  | { readonly t: 'failed'; readonly error: string };

/** Fuzzer to observer: stop and report. */
export type ObserverCommand = { readonly t: 'stop' };
