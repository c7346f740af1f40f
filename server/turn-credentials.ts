import { createHmac, randomBytes } from 'node:crypto';
import type { IceServer } from '../protocol/index.js';

/**
 * Short-lived TURN credentials in the TURN REST form (draft-uberti-behave-turn-rest) that
 * coturn checks with `use-auth-secret` / `static-auth-secret`: the username is
 * `<expiry unix seconds>:<random id>` and the credential base64(HMAC-SHA1(secret, username)),
 * so the TURN server needs no user database, only the shared secret.
 */

/**
 * How long a credential lasts: 12 hours. A connection's credentials are minted at `welcome`
 * and the peer pool uses them for every peer connection of that visit, so they must outlive a
 * tab left open all day (an expired one fails quietly: no relay, the origin serves). Any
 * visitor can mint fresh ones by connecting, so a short lifetime would stop no abuse; that is
 * what coturn's quotas (`user-quota`, `total-quota`, `max-bps`) are for. Half the draft's
 * suggested day keeps a scraped credential from outliving the day it was taken.
 */
export const TURN_CREDENTIAL_TTL_SECONDS = 12 * 60 * 60;
/** Random bytes of the username's id part (hex: 16 characters, no ':' to confuse coturn). */
const TURN_ID_BYTES = 8;

export interface TurnOptions {
  /** The shared secret (coturn's `static-auth-secret`). */
  secret: string;
  /** turn: or turns: URLs of the relay, e.g. turn:turn.example.com:3478?transport=udp. */
  urls: string[];
}

/** The credential for `username`: base64(HMAC-SHA1(secret, username)). */
export function turnCredential(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username).digest('base64');
}

/** Fresh credentials for one connection, valid for TURN_CREDENTIAL_TTL_SECONDS from `nowMs`. */
export function turnIceServer(
  turn: TurnOptions,
  nowMs = Date.now(),
  id = randomBytes(TURN_ID_BYTES).toString('hex'),
): IceServer {
  const expiry = Math.floor(nowMs / 1000) + TURN_CREDENTIAL_TTL_SECONDS;
  const username = `${expiry}:${id}`;
  return { urls: [...turn.urls], username, credential: turnCredential(turn.secret, username) };
}
