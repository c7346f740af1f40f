import type { SignalData } from '../protocol/index.js';
import { ExpiringMap } from './expiring-map.js';
import { TokenBucket } from './rate-limiter.js';
import type { Rejection } from './rejection.js';
import { SIGNAL_SERVER_LIMITS as LIMITS } from './signal-limits.js';

/** One offer and what follows it between two peers: an answer and candidates both ways. */
interface Negotiation {
  answered: boolean;
  /** This side's messages to the other within the negotiation. */
  readonly budget: TokenBucket;
}

/** What a permitted relay still has to record once the receiver has taken the message. */
export type Commit = () => void;

/**
 * Who one connection may signal. A peer may offer only to a peer it was named in a recent
 * `found` answer (each disclosure allows one offer) or to one that offered to it first (both
 * dialled at once), and has at most one unanswered offer to any peer, for relayWindowMs. It may
 * answer an offer it received, once, and send candidates only within a negotiation. So no
 * peer can dial one that nobody pointed it to, replay offers to pin a seeder's slots, or
 * stream messages to a peer it is not negotiating with; and each pair has its own rate.
 *
 * Every table is bounded (maxFoundMemory, maxOpenOffers, maxOffersReceived entries) and
 * forgets after relayWindowMs, so the state a connection can make the server hold is fixed.
 * The gate keeps only this side's state, so it holds when the other peer is on another node.
 */
export class RelayGate {
  private readonly found: ExpiringMap<true>;
  private readonly offersMade: ExpiringMap<Negotiation>;
  private readonly offersReceived: ExpiringMap<Negotiation>;

  constructor(private readonly now: () => number = () => performance.now()) {
    const window = LIMITS.relayWindowMs;
    this.found = new ExpiringMap(LIMITS.maxFoundMemory, window, now);
    // Full means refused, not forgotten (see check), so this capacity is never reached.
    this.offersMade = new ExpiringMap(LIMITS.maxOpenOffers + 1, window, now);
    this.offersReceived = new ExpiringMap(LIMITS.maxOffersReceived, window, now);
  }

  /** This peer was told that `peers` hold something it asked for. */
  disclosed(peers: readonly string[]): void {
    for (const peer of peers) this.found.set(peer, true);
  }

  /** `from` answered this peer's offer: it is no longer open, so a new one may follow a find. */
  answeredBy(from: string): void {
    const made = this.offersMade.get(from);
    if (made) made.answered = true;
  }

  /** `from` offered to this peer (its offer was delivered here). */
  offeredBy(from: string): void {
    this.offersReceived.set(from, this.negotiation());
  }

  /**
   * Whether this peer may send `data` to `to`: a rejection, or what to record once the
   * message is delivered. Refusing a peer it may not signal reads exactly like a peer that
   * is not there, so signalling is no way to learn who is in the swarm.
   */
  check(to: string, data: SignalData): Rejection | Commit {
    switch (data.type) {
      case 'offer':
        return this.checkOffer(to);
      case 'answer': {
        const received = this.offersReceived.get(to);
        if (!received || received.answered) return notAsked(to);
        return (
          spend(received, to) ??
          (() => {
            received.answered = true;
          })
        );
      }
      case 'candidate': {
        const negotiation = this.offersMade.get(to) ?? this.offersReceived.get(to);
        if (!negotiation) return notAsked(to);
        return spend(negotiation, to) ?? noop;
      }
    }
  }

  private checkOffer(to: string): Rejection | Commit {
    if (this.offersMade.get(to)?.answered === false) {
      return {
        code: 'rate-limited',
        details: `one offer to ${to} per ${LIMITS.relayWindowMs / 1000} s`,
        reason: 'relay-offer-open',
      };
    }
    if (!this.found.get(to) && !this.offersReceived.get(to)) return notAsked(to);
    if (this.offersMade.size >= LIMITS.maxOpenOffers) {
      return {
        code: 'rate-limited',
        details: `at most ${LIMITS.maxOpenOffers} offers open at once`,
        reason: 'relay-too-many-offers',
      };
    }
    const negotiation = this.negotiation();
    negotiation.budget.take();
    return () => {
      this.found.delete(to);
      this.offersMade.set(to, negotiation);
    };
  }

  private negotiation(): Negotiation {
    return {
      answered: false,
      budget: new TokenBucket(LIMITS.pairRelayPerSecond, LIMITS.pairRelayBurst, this.now),
    };
  }
}

const noop: Commit = () => {};

/** What the server answers for a peer that is not there, or that this peer may not signal. */
export function notAsked(to: string): Rejection {
  return { code: 'unknown-peer', details: `no peer ${to} to signal`, reason: 'relay-not-asked' };
}

function spend(negotiation: Negotiation, to: string): Rejection | undefined {
  if (negotiation.budget.take()) return undefined;
  return {
    code: 'rate-limited',
    details: `too many messages to ${to}`,
    reason: 'relay-pair-rate',
  };
}
