import {
  type ClientMessage,
  CONTENT_ID_HEX_LENGTH,
  SIGNALING_LIMITS,
  SIGNALING_PROTOCOL,
} from '../../protocol/index.js';
import type { Prng } from './prng.js';

/**
 * What the fuzzer sends, by kind: the grammar of signaling v2 (protocol/signaling.ts) spoken
 * correctly, and the ways to speak it wrong. Every frame is built from a session's PRNG only.
 */
export const FRAME_KINDS = [
  'valid',
  'malformed-json',
  'truncated',
  'oversized',
  'binary',
  'wrong-type',
  'unicode',
  'deep-nesting',
  'raw',
] as const;
export type FrameKind = (typeof FRAME_KINDS)[number];

export interface Frame {
  readonly kind: FrameKind;
  /** Text for a text frame, a Buffer for a binary one. */
  readonly data: string | Buffer;
}

/** Marks the offers the fuzzer relays, so a receiver can check the server stamped the sender. */
export const SENDER_TAG = 'a=fuzz-from:';
const HEX = '0123456789abcdef';
export function frame(kind: FrameKind, message: unknown): Frame {
  return { kind, data: JSON.stringify(message) };
}

export function valid(message: ClientMessage): Frame {
  return frame('valid', message);
}

export const join = (protocol: number = SIGNALING_PROTOCOL) => valid({ t: 'join', protocol });

export function contentId(prng: Prng): string {
  let id = '';
  for (let i = 0; i < CONTENT_ID_HEX_LENGTH; i++) id += HEX[prng.int(16)];
  return id;
}

export function contentIds(prng: Prng, n: number): string[] {
  return Array.from({ length: n }, () => contentId(prng));
}

/** A well-formed peer id (16 base64url characters) that names nobody, most likely. */
export function peerId(prng: Prng): string {
  return prng.bytes(12).toString('base64url');
}

/**
 * An sdp of about `bytes` bytes that names its sender, so whoever receives it can check the
 * server's `from` against it.
 */
export function offerSdp(prng: Prng, from: string, bytes: number): string {
  const head = `v=0\r\no=- ${prng.uint32()} 2 IN IP4 127.0.0.1\r\n${SENDER_TAG}${from}\r\n`;
  return head + 'a=x'.padEnd(Math.max(0, bytes - head.length), 'x');
}

/** A signal frame of exactly `bytes` bytes (for sizes around the frame cap). */
export function signalOfSize(to: string, from: string, prng: Prng, bytes: number): Frame {
  const encode = (sdp: string) => JSON.stringify({ t: 'signal', to, data: { type: 'offer', sdp } });
  const head = offerSdp(prng, from, 0);
  // The head's CR LF are escaped in JSON, so pad by what the encoding is short of.
  const data = encode(head.padEnd(head.length + bytes - Buffer.byteLength(encode(head)), 'x'));
  return { kind: bytes > SIGNALING_LIMITS.maxMessageBytes ? 'oversized' : 'valid', data };
}

export function candidate(prng: Prng, to: string): Frame {
  return valid({
    t: 'signal',
    to,
    data: {
      type: 'candidate',
      candidate: prng.chance(0.1)
        ? null
        : {
            candidate: `candidate:${prng.uint32()} 1 udp 2122260223 127.0.0.1 ${prng.range(1024, 65535)} typ host`,
            sdpMid: '0',
            sdpMLineIndex: 0,
          },
    },
  });
}

/** One well-formed client message of any type, about nothing in particular. */
export function anyValid(prng: Prng, to: string, from: string): Frame {
  switch (prng.int(6)) {
    case 0:
      return join();
    case 1:
      return valid({ t: 'announce', ids: contentIds(prng, prng.range(1, 32)) });
    case 2:
      return valid({ t: 'withdraw', ids: contentIds(prng, prng.range(1, 32)) });
    case 3:
      return valid({ t: 'find', id: prng.uint32(), content: contentId(prng) });
    case 4:
      return candidate(prng, to);
    default:
      return valid({
        t: 'signal',
        to,
        data: { type: prng.pick(['offer', 'answer'] as const), sdp: offerSdp(prng, from, 600) },
      });
  }
}
