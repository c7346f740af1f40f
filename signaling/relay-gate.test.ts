import { describe, expect, it } from 'vitest';
import type { SignalData } from '../protocol/index.js';
import type { Rejection } from './rejection.js';
import { type Commit, RelayGate } from './relay-gate.js';
import { SIGNAL_SERVER_LIMITS as LIMITS } from './signal-limits.js';

const OFFER: SignalData = { type: 'offer', sdp: 'v=0' };
const ANSWER: SignalData = { type: 'answer', sdp: 'v=0' };
const CANDIDATE: SignalData = { type: 'candidate', candidate: null };

function clocked() {
  const clock = { now: 0 };
  return { clock, gate: new RelayGate(() => clock.now) };
}

/** Checks and, when permitted, commits as the server does once the receiver took it. */
function send(gate: RelayGate, to: string, data: SignalData): Rejection | 'sent' {
  const verdict: Rejection | Commit = gate.check(to, data);
  if (typeof verdict !== 'function') return verdict;
  verdict();
  return 'sent';
}

const reason = (r: Rejection | 'sent') => (r === 'sent' ? r : r.reason);

describe('RelayGate', () => {
  it('lets a peer offer only to one it was told of, once per disclosure', () => {
    const { gate } = clocked();
    expect(reason(send(gate, 'x', OFFER))).toBe('relay-not-asked');
    expect(reason(send(gate, 'x', CANDIDATE))).toBe('relay-not-asked');
    gate.disclosed(['x', 'y']);
    expect(send(gate, 'x', OFFER)).toBe('sent');
    expect(send(gate, 'x', CANDIDATE)).toBe('sent');
    // The replay of a pinning attacker: one offer open per pair.
    expect(reason(send(gate, 'x', OFFER))).toBe('relay-offer-open');
    // An answer is for the peer that was offered to, not the offerer.
    expect(reason(send(gate, 'x', ANSWER))).toBe('relay-not-asked');
    expect(send(gate, 'y', OFFER)).toBe('sent');
  });

  it('lets a peer offer again once its offer was answered, after a new find', () => {
    const { gate } = clocked();
    gate.disclosed(['x']);
    expect(send(gate, 'x', OFFER)).toBe('sent');
    gate.answeredBy('x');
    // Answered is not open, but each offer still needs its own disclosure.
    expect(reason(send(gate, 'x', OFFER))).toBe('relay-not-asked');
    gate.disclosed(['x']);
    expect(send(gate, 'x', OFFER)).toBe('sent');
    expect(reason(send(gate, 'x', OFFER))).toBe('relay-offer-open');
    // Someone else's answer closes nothing.
    gate.answeredBy('y');
    expect(reason(send(gate, 'x', OFFER))).toBe('relay-offer-open');
  });

  it('reads a refusal to signal a peer exactly like a peer that is not there', () => {
    const { gate } = clocked();
    const refused = send(gate, 'x', OFFER);
    expect(refused).toEqual({
      code: 'unknown-peer',
      details: 'no peer x to signal',
      reason: 'relay-not-asked',
    });
  });

  it('lets a peer that was offered to answer once, and send candidates, or offer back', () => {
    const { gate } = clocked();
    gate.offeredBy('x');
    expect(send(gate, 'x', CANDIDATE)).toBe('sent');
    expect(send(gate, 'x', ANSWER)).toBe('sent');
    expect(reason(send(gate, 'x', ANSWER))).toBe('relay-not-asked');
    // Both dialled at once: the one offered to may offer too.
    expect(send(gate, 'x', OFFER)).toBe('sent');
  });

  it('forgets disclosures and negotiations after relayWindowMs', () => {
    const { clock, gate } = clocked();
    gate.disclosed(['x']);
    gate.offeredBy('y');
    clock.now = LIMITS.relayWindowMs - 1;
    expect(send(gate, 'y', CANDIDATE)).toBe('sent');
    clock.now = LIMITS.relayWindowMs;
    expect(reason(send(gate, 'x', OFFER))).toBe('relay-not-asked');
    expect(reason(send(gate, 'y', ANSWER))).toBe('relay-not-asked');
    gate.disclosed(['x']);
    expect(send(gate, 'x', OFFER)).toBe('sent');
    clock.now += LIMITS.relayWindowMs;
    gate.disclosed(['x']);
    expect(send(gate, 'x', OFFER)).toBe('sent');
  });

  it('caps the rate of one pair, and the offers open at once', () => {
    const { gate } = clocked();
    gate.offeredBy('x');
    let sent = 0;
    while (send(gate, 'x', CANDIDATE) === 'sent') sent++;
    expect(sent).toBe(LIMITS.pairRelayBurst);
    expect(reason(send(gate, 'x', CANDIDATE))).toBe('relay-pair-rate');

    const peers = Array.from({ length: LIMITS.maxOpenOffers + 1 }, (_, i) => `p${i}`);
    gate.disclosed(peers);
    for (const peer of peers.slice(0, -1)) expect(send(gate, peer, OFFER)).toBe('sent');
    expect(reason(send(gate, peers.at(-1) as string, OFFER))).toBe('relay-too-many-offers');
  });

  it('remembers at most maxFoundMemory disclosed peers, the newest', () => {
    const { gate } = clocked();
    const peers = Array.from({ length: LIMITS.maxFoundMemory + 1 }, (_, i) => `p${i}`);
    gate.disclosed(peers);
    expect(reason(send(gate, 'p0', OFFER))).toBe('relay-not-asked');
    expect(send(gate, 'p1', OFFER)).toBe('sent');
  });
});
