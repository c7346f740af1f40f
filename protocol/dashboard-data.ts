import * as v from 'valibot';
import { defineCodedError } from './coded-error.js';
import { parseOrThrow } from './parse-or-throw.js';

/**
 * The site owner's dashboard: a page, its script, and the JSON it polls. Every figure is an
 * aggregate over visitors (their beacons) or the origin's own counters; nothing names a visitor.
 */
export const DASHBOARD_PATHS = {
  page: '/peerconnect/dashboard',
  data: '/peerconnect/dashboard/data',
  script: '/peerconnect/dashboard.js',
} as const;

export const MINUTE_MS = 60_000;
/** The dashboard keeps and shows the last 24 hours, per minute. */
export const DASHBOARD_WINDOW_MINUTES = 24 * 60;

/**
 * The share of asset bytes that did not come from the origin: peer / (peer + origin). Cache hits
 * are left out (a returning visitor's HTTP cache would have saved those without any peer).
 * Null before any byte was counted.
 */
export function offloadRatio(peer: number, origin: number): number | null {
  return peer + origin === 0 ? null : peer / (peer + origin);
}

const Num = v.pipe(v.number(), v.minValue(0));
const Series = v.array(Num);
const MaybeMs = v.nullable(Num);

const DashboardDataSchema = v.object({
  /** Epoch ms when the server answered. */
  now: Num,
  /** Epoch ms of the first minute of each series; one entry per minute up to `now`. */
  start: Num,
  minutes: v.object({
    /** Asset bytes visitors reported, by where they came from. */
    peer: Series,
    origin: Series,
    cache: Series,
    uploaded: Series,
    /** Asset bytes the origin itself sent (peerconnect_origin_bytes_total{kind="asset"}). */
    originServed: Series,
    /** Open signaling connections, the highest sample of the minute; null before sampling. */
    peersOnline: v.array(v.nullable(Num)),
  }),
  totals: v.object({
    peer: Num,
    origin: Num,
    cache: Num,
    uploaded: Num,
    originServed: Num,
    beacons: Num,
    dialFailures: Num,
  }),
  /** Mean time to first byte as visitors saw it, by source; null without a sample. */
  ttfbMs: v.object({ peer: MaybeMs, origin: MaybeMs, cache: MaybeMs }),
  live: v.object({ peersOnline: Num, swarms: Num }),
  /** The assets peers carried most, highest first. */
  topAssets: v.array(v.object({ path: v.string(), peer: Num, origin: Num })),
});

export type DashboardData = v.InferOutput<typeof DashboardDataSchema>;

export const DashboardError = defineCodedError('DashboardError', {
  'bad-dashboard-data': 'the dashboard data is malformed',
});

export function parseDashboardData(input: unknown): DashboardData {
  return parseOrThrow(
    DashboardDataSchema,
    input,
    (details) => new DashboardError('bad-dashboard-data', details),
  );
}
