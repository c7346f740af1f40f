import { type CodedError, defineCodedError } from './coded-error.js';

/**
 * Errors crossing module boundaries carry a code; the human text lives in one map so that
 * callers branch on codes, never on message strings.
 */
export const ERROR_MESSAGES = {
  'bad-manifest': 'the manifest is malformed',
  'manifest-version-mismatch': 'the manifest version does not match its content',
  'bad-signal-message': 'the signaling message is malformed',
  'bad-wire-message': 'the peer message is malformed',
  'bad-bridge-message': 'the service worker bridge message is malformed',
  'bad-stored-record': 'a stored record is malformed',
  'bad-hash': 'a chunk does not match its hash in the manifest',
  'peer-closed': 'the peer connection closed',
  'peer-timeout': 'the peer did not answer in time',
  'peer-busy': 'the peer is at its upload limit',
  'peer-unreachable': 'the peer could not be reached',
  'peer-error': 'the peer answered with an error',
  'no-peers': 'no peer holds the asset',
  'agent-unavailable': 'no peer agent is running for this origin',
  'agent-timeout': 'the peer agent did not answer in time',
  'signaling-unavailable': 'the signaling server cannot be reached',
  'origin-error': 'the origin answered with an error',
  'store-quota': 'the asset store is out of quota',
  'store-error': 'the asset store failed',
  cancelled: 'the request was cancelled',
  'p2p-disabled': 'peer-to-peer delivery is turned off for this visitor',
} as const;

export type ErrorCode = keyof typeof ERROR_MESSAGES;

/** Failures of the browser side and the protocols (peer, bridge, store, signaling client). */
export const PeerConnectError = defineCodedError('PeerConnectError', ERROR_MESSAGES);
export type PeerConnectError = CodedError<ErrorCode>;

export function isPeerConnectError(err: unknown, code?: ErrorCode): err is PeerConnectError {
  return PeerConnectError.is(err, code);
}
