/** Messages between the bench (parent) and its client processes (client-worker.ts), over IPC. */

/** Coded client-side failures, counted per code. */
export const LOAD_ERROR_CODES = [
  'connect-failed',
  'closed-unexpectedly',
  'server-error',
  'partner-not-found',
  'relay-lost',
  'bad-frame',
] as const;
export type LoadErrorCode = (typeof LOAD_ERROR_CODES)[number];
export type ErrorCounts = Record<LoadErrorCode, number>;

export function noErrors(): ErrorCounts {
  return Object.fromEntries(LOAD_ERROR_CODES.map((code) => [code, 0])) as ErrorCounts;
}

export function addErrors(into: ErrorCounts, from: Readonly<ErrorCounts>): void {
  for (const code of LOAD_ERROR_CODES) into[code] += from[code];
}

export type ParentMessage =
  | {
      t: 'ramp';
      /**
       * ws:// URLs of the signaling endpoints: peer g opens urls[g % length], so with several
       * nodes a pair's two peers are on different nodes and every relay crosses Redis.
       */
      urls: string[];
      /** The Origin header every socket sends (the server's own origin). */
      origin: string;
      /** Global index of this process's first peer (it picks the source addresses). */
      firstPeer: number;
      /** Peers to open; even, so every peer has a partner in this process. */
      count: number;
      /** Stop opening sockets after this long. */
      deadlineMs: number;
    }
  | { t: 'relay'; messagesPerSecond: number; seconds: number }
  | { t: 'close' };

export interface RampReport {
  /** Sockets open and welcomed. */
  joined: number;
  /** Pairs whose offerer found its partner's id. */
  paired: number;
  errors: ErrorCounts;
  /** Counts by code and detail (close codes, server error codes), to say what went wrong. */
  details: Record<string, number>;
}

export interface RelayReport {
  /** One-way relay latency of every message delivered in the phase, ms. */
  latenciesMs: number[];
  sent: number;
  delivered: number;
  /** Ticks where every pair was mid-exchange, so the asked rate could not be offered. */
  starved: number;
  /** Worst latency of the messages delivered in each second of the phase (stalls show here). */
  maxMsBySecond: number[];
  /** This process's event-loop delay p99 and its CPU, percent of a core: is the client the bottleneck? */
  loopDelayP99Ms: number;
  cpuPercent: number;
  /** Sockets still open and welcomed at the end of the phase. */
  joined: number;
  errors: ErrorCounts;
  details: Record<string, number>;
}

export type WorkerMessage =
  /** Loaded and listening for commands (forking through tsx takes a second or more). */
  | { t: 'ready' }
  | { t: 'progress'; joined: number; failed: number }
  | ({ t: 'ramped' } & RampReport)
  | ({ t: 'relayed' } & RelayReport)
  | { t: 'closed' };
