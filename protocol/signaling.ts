import * as v from 'valibot';
import { CONTENT_ID } from './content-id.js';
import { PeerConnectError } from './errors.js';
import { IceServersSchema } from './ice.js';
import { parseWith } from './validate.js';

/**
 * Signaling: JSON text frames over the WebSocket at PATHS.signal. A peer joins its site's swarm
 * (the server keys it by the upgrade's Origin: no client picks or shapes a swarm), announces the
 * content ids (content-id.ts) of what it holds, asks who holds one content id, and relays WebRTC
 * offers, answers and ICE candidates. Announcements live in the server's memory for the life of
 * the socket only, and other peers learn a holder only by asking for an id they already know.
 * Until the swarm has `minSwarm` other peers (welcome, then `quorum`), a peer announces nothing
 * and the server answers every `find` with no peers.
 */

/** Version of this protocol, sent in `join`; the server closes a socket that names another. */
export const SIGNALING_PROTOCOL = 2;

export const SIGNALING_LIMITS = {
  /** Largest text frame either side accepts (an SDP offer is 1–5 KiB). */
  maxMessageBytes: 32 * 1024,
  /** Most peers returned for one `find`. */
  maxFoundPeers: 8,
  /** Content ids in one `announce` or `withdraw` (1024 × 19 bytes of JSON fits in a frame). */
  maxIdsPerMessage: 1024,
  /** Content ids one socket may have announced at once; past it `announce` is refused. */
  maxAnnouncedIds: 65_536,
  /** Largest `minSwarm` a server may set. */
  maxMinSwarm: 1000,
  peerIdLength: 16,
} as const;

const PeerId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{16}$/, 'must be a peer id'));
const ContentId = v.pipe(v.string(), v.regex(CONTENT_ID, 'must be a content id'));
const ContentIds = v.pipe(
  v.array(ContentId),
  v.minLength(1),
  v.maxLength(SIGNALING_LIMITS.maxIdsPerMessage),
);
const Uint = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffff_ffff));

const SignalDataSchema = v.variant('type', [
  v.object({
    type: v.picklist(['offer', 'answer']),
    sdp: v.pipe(v.string(), v.maxLength(SIGNALING_LIMITS.maxMessageBytes)),
  }),
  v.object({
    type: v.literal('candidate'),
    candidate: v.nullable(
      v.object({
        candidate: v.pipe(v.string(), v.maxLength(1024)),
        sdpMid: v.nullish(v.pipe(v.string(), v.maxLength(64))),
        sdpMLineIndex: v.nullish(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(64))),
        usernameFragment: v.nullish(v.pipe(v.string(), v.maxLength(256))),
      }),
    ),
  }),
]);
export type SignalData = v.InferOutput<typeof SignalDataSchema>;

const ClientMessageSchema = v.variant('t', [
  v.object({ t: v.literal('join'), protocol: Uint }),
  /** Content ids this peer now holds (added to what it announced before). */
  v.object({ t: v.literal('announce'), ids: ContentIds }),
  /** Content ids this peer no longer holds (evicted). */
  v.object({ t: v.literal('withdraw'), ids: ContentIds }),
  /** Who holds `content`: answered by `found` with the same `id` (the request's, chosen by the peer). */
  v.object({
    t: v.literal('find'),
    id: Uint,
    content: ContentId,
    max: v.optional(v.pipe(Uint, v.minValue(1), v.maxValue(SIGNALING_LIMITS.maxFoundPeers))),
  }),
  v.object({ t: v.literal('signal'), to: PeerId, data: SignalDataSchema }),
]);
export type ClientMessage = v.InferOutput<typeof ClientMessageSchema>;

export const SIGNALING_ERROR_CODES = [
  'bad-message',
  'not-joined',
  'already-joined',
  'unknown-peer',
  'rate-limited',
  'too-large',
  'too-many-ids',
  'protocol-mismatch',
] as const;
export type SignalingErrorCode = (typeof SIGNALING_ERROR_CODES)[number];

const ServerMessageSchema = v.variant('t', [
  /**
   * Sent after `join`: this peer's id, how many other peers are in its swarm, and how many
   * other peers the site requires before anyone discloses what they hold. `iceServers`, when
   * present, are the STUN/TURN servers this peer should use (possibly none).
   */
  v.object({
    t: v.literal('welcome'),
    peerId: PeerId,
    peers: Uint,
    minSwarm: v.pipe(Uint, v.minValue(1), v.maxValue(SIGNALING_LIMITS.maxMinSwarm)),
    iceServers: v.optional(IceServersSchema),
  }),
  /**
   * Whether the swarm now has at least `minSwarm` peers besides this one: sent only when that
   * changes after `welcome`. Until it is first reached a peer announces nothing; whenever it is
   * not reached, the server answers every `find` with no peers.
   */
  v.object({ t: v.literal('quorum'), reached: v.boolean() }),
  v.object({
    t: v.literal('found'),
    id: Uint,
    content: ContentId,
    peers: v.pipe(v.array(PeerId), v.maxLength(SIGNALING_LIMITS.maxFoundPeers)),
  }),
  v.object({ t: v.literal('signal'), from: PeerId, data: SignalDataSchema }),
  v.object({
    t: v.literal('error'),
    code: v.picklist(SIGNALING_ERROR_CODES),
    message: v.pipe(v.string(), v.maxLength(1024)),
  }),
]);
export type ServerMessage = v.InferOutput<typeof ServerMessageSchema>;

function parseJsonFrame(text: string): unknown {
  if (text.length > SIGNALING_LIMITS.maxMessageBytes) {
    throw new PeerConnectError('bad-signal-message', `frame of ${text.length} bytes`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new PeerConnectError('bad-signal-message', 'not JSON');
  }
}

/** Parses a frame from a client (on the server). Throws PeerConnectError('bad-signal-message'). */
export function parseClientMessage(text: string): ClientMessage {
  return parseWith(ClientMessageSchema, parseJsonFrame(text), 'bad-signal-message');
}

/** Parses a frame from the server (in the agent). Throws PeerConnectError('bad-signal-message'). */
export function parseServerMessage(text: string): ServerMessage {
  return parseWith(ServerMessageSchema, parseJsonFrame(text), 'bad-signal-message');
}

export function encodeSignalMessage(message: ClientMessage | ServerMessage): string {
  return JSON.stringify(message);
}
