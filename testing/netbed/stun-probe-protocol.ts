import type { StunAddress } from './stun-message.js';

/** What stun-probe.ts asks stun-probe-main.ts for, and what it prints back (one JSON line). */

export interface StunProbeTarget extends StunAddress {
  /** RFC 5780: ask for the answer from the server's other IP and port (a filtering test). */
  changeIpAndPort?: boolean;
}

export interface StunProbeRequest {
  targets: StunProbeTarget[];
  /** Per target: how long to retransmit before giving up on an answer. */
  timeoutMs: number;
}

export interface StunProbeAnswer {
  target: StunProbeTarget;
  /** null: no answer in time (e.g. a NAT that filtered the changed-address response). */
  mapped: StunAddress | null;
  /** Where the answer came from. */
  from: StunAddress | null;
  otherAddress: StunAddress | null;
  rttMs: number | null;
}

export interface StunProbeReport {
  /** The probe's local address: one UDP socket sends to every target, in order. */
  local: StunAddress;
  answers: StunProbeAnswer[];
}

export const STUN_PROBE_REPORT_PREFIX = 'stun-probe ';
