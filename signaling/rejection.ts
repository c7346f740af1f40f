import type { SignalingErrorCode } from '../protocol/index.js';
import type { RefusalReason } from './signal-limits.js';

/** A refused client message: the error the client is sent, and why (for the metrics). */
export interface Rejection {
  readonly code: SignalingErrorCode;
  readonly details: string;
  /** Counted in peerconnect_signal_refusals_total when set. */
  readonly reason?: RefusalReason;
  /**
   * The refusal comes from someone else's state (the receiver is busy or flooded), so it does
   * not count towards closing the sender for its own excess.
   */
  readonly excused?: boolean;
}
