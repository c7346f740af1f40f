import * as v from 'valibot';
import { PeerConnectError } from './errors.js';
import { SHA256_HEX } from './hash.js';
import { IceServersSchema } from './ice.js';
import { parseWith } from './validate.js';

/**
 * Signaling: JSON text frames over the WebSocket at PATHS.signal. A peer joins the swarm of
 * its site's manifest version, says which assets it holds (a base64 bitfield of manifest
 * indexes), asks who holds an asset, and relays WebRTC offers, answers and ICE candidates.
 */

export const SIGNALING_LIMITS = {
  /** Largest text frame either side accepts (an SDP offer is 1–5 KiB). */
  maxMessageBytes: 32 * 1024,
  /** Most peers returned for one `find`. */
  maxFoundPeers: 8,
  /** Largest manifest (in assets) a swarm bitfield may describe. */
  maxAssets: 100_000,
  peerIdLength: 16,
} as const;

const PeerId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{16}$/, 'must be a peer id'));
const Base64 = v.pipe(
  v.string(),
  v.maxLength(Math.ceil(SIGNALING_LIMITS.maxAssets / 6) + 4),
  v.base64(),
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
  v.object({
    t: v.literal('join'),
    /** The manifest version: peers with the same version agree on every asset index and hash. */
    swarm: v.pipe(v.string(), v.regex(SHA256_HEX, 'must be a manifest version')),
    assets: v.pipe(Uint, v.maxValue(SIGNALING_LIMITS.maxAssets)),
    have: Base64,
  }),
  v.object({ t: v.literal('have'), have: Base64 }),
  v.object({
    t: v.literal('find'),
    id: Uint,
    asset: Uint,
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
] as const;
export type SignalingErrorCode = (typeof SIGNALING_ERROR_CODES)[number];

const ServerMessageSchema = v.variant('t', [
  /**
   * Sent after `join`: this peer's id and how many other peers are in its swarm. `iceServers`,
   * when present, are the STUN/TURN servers this peer should use (possibly none); a server
   * that predates the field leaves it out.
   */
  v.object({
    t: v.literal('welcome'),
    peerId: PeerId,
    peers: Uint,
    iceServers: v.optional(IceServersSchema),
  }),
  v.object({ t: v.literal('found'), id: Uint, asset: Uint, peers: v.array(PeerId) }),
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
