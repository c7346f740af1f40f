import * as v from 'valibot';

/**
 * Why a dial to a peer did not give an open data channel (the visitor's diagnostics):
 * ICE tried every candidate pair and gave up; nothing connected within the connect timeout
 * (stuck in `checking`, e.g. two symmetric NATs without TURN); the offer/answer exchange failed.
 */
export const DIAL_FAILURES = ['ice-failed', 'connect-timeout', 'setup-failed'] as const;
export type DialFailure = (typeof DIAL_FAILURES)[number];

/** Candidate types of a selected pair, local first: `host-host`, `srflx-srflx`, `relay-host`... */
export const CANDIDATE_PAIR = /^(host|srflx|prflx|relay)-(host|srflx|prflx|relay)$/;

/** Distinct candidate pairs remembered for stats(), so a long session cannot grow the list. */
export const MAX_CANDIDATE_PAIRS = 16;

const Count = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));

export const DialStatsSchema = v.object({
  dialFailures: v.object({
    'ice-failed': Count,
    'connect-timeout': Count,
    'setup-failed': Count,
  }),
  candidatePairs: v.pipe(
    v.array(v.pipe(v.string(), v.regex(CANDIDATE_PAIR))),
    v.maxLength(MAX_CANDIDATE_PAIRS),
  ),
});
export type DialStats = v.InferOutput<typeof DialStatsSchema>;

export function emptyDialStats(): DialStats {
  return {
    dialFailures: { 'ice-failed': 0, 'connect-timeout': 0, 'setup-failed': 0 },
    candidatePairs: [],
  };
}
