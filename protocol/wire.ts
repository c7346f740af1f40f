import { KIB } from './constants.js';
import { PeerConnectError } from './errors.js';
import { fromHex, SHA256_HEX, toHex } from './hash.js';

/**
 * The peer wire protocol: binary messages over one ordered, reliable RTCDataChannel. Every
 * message is at most WIRE_LIMITS.maxMessageBytes so any WebRTC stack can carry it. A chunk is
 * sent as a small `chunk` header followed by exactly one body message of `length` raw bytes;
 * the channel is ordered, so the body is always the very next message.
 * v2: assets are asked for by their full sha-256 (the swarm spans releases, so there is no
 * shared asset index), and peers tell each other nothing about what they hold: no `have`.
 */

export const WIRE_VERSION = 2;

export const WIRE_LIMITS = {
  maxMessageBytes: 64 * KIB,
  /** Most chunks one `request` may ask for (4 MiB). */
  maxChunksPerRequest: 64,
} as const;

export const MESSAGE_TYPES = {
  hello: 0,
  request: 1,
  chunk: 2,
  cancel: 3,
  // 4 was v1's `have`: left unused so a v1 peer's frame is rejected, not misread.
  busy: 5,
  error: 6,
} as const;

/** Why an uploader refused or abandoned a request. */
export const WIRE_ERROR_CODES = ['not-found', 'bad-request', 'internal', 'budget'] as const;
export type WireErrorCode = (typeof WIRE_ERROR_CODES)[number];

export type WireMessage =
  /** First message each side sends: its protocol version. */
  | { type: 'hello'; version: number }
  /** Chunks [first, first + count) of the asset whose sha-256 (hex here, 32 raw bytes on the wire) is `sha256`. */
  | { type: 'request'; id: number; sha256: string; first: number; count: number }
  | { type: 'chunk'; id: number; index: number; length: number }
  | { type: 'cancel'; id: number }
  | { type: 'busy'; id: number }
  | { type: 'error'; id: number; code: WireErrorCode };

const SHA256_BYTES = 32;

const SIZES = {
  hello: 2,
  request: 13 + SHA256_BYTES,
  chunk: 13,
  cancel: 5,
  busy: 5,
  error: 6,
} as const;

function bad(details: string): never {
  throw new PeerConnectError('bad-wire-message', details);
}

export function encodeWireMessage(message: WireMessage): ArrayBuffer {
  switch (message.type) {
    case 'hello': {
      const out = new Uint8Array(SIZES.hello);
      out[0] = MESSAGE_TYPES.hello;
      out[1] = message.version;
      return out.buffer;
    }
    case 'request': {
      if (!SHA256_HEX.test(message.sha256)) bad('request for something that is not a sha-256');
      const out = new Uint8Array(SIZES.request);
      const view = new DataView(out.buffer);
      view.setUint8(0, MESSAGE_TYPES.request);
      view.setUint32(1, message.id);
      out.set(fromHex(message.sha256), 5);
      view.setUint32(5 + SHA256_BYTES, message.first);
      view.setUint32(9 + SHA256_BYTES, message.count);
      return out.buffer;
    }
    case 'chunk': {
      const view = new DataView(new ArrayBuffer(SIZES.chunk));
      view.setUint8(0, MESSAGE_TYPES.chunk);
      view.setUint32(1, message.id);
      view.setUint32(5, message.index);
      view.setUint32(9, message.length);
      return view.buffer;
    }
    case 'cancel':
    case 'busy': {
      const view = new DataView(new ArrayBuffer(SIZES[message.type]));
      view.setUint8(0, MESSAGE_TYPES[message.type]);
      view.setUint32(1, message.id);
      return view.buffer;
    }
    case 'error': {
      const view = new DataView(new ArrayBuffer(SIZES.error));
      view.setUint8(0, MESSAGE_TYPES.error);
      view.setUint32(1, message.id);
      view.setUint8(5, WIRE_ERROR_CODES.indexOf(message.code));
      return view.buffer;
    }
  }
}

function expectSize(data: ArrayBuffer, size: number, type: string): DataView {
  if (data.byteLength !== size) bad(`${type} of ${data.byteLength} bytes, expected ${size}`);
  return new DataView(data);
}

/** Decodes one control message. Throws PeerConnectError('bad-wire-message') on anything else. */
export function decodeWireMessage(data: ArrayBuffer): WireMessage {
  if (!(data instanceof ArrayBuffer)) bad('not binary');
  if (data.byteLength === 0) bad('empty message');
  if (data.byteLength > WIRE_LIMITS.maxMessageBytes) bad(`message of ${data.byteLength} bytes`);
  const type = new Uint8Array(data, 0, 1)[0];
  switch (type) {
    case MESSAGE_TYPES.hello: {
      const view = expectSize(data, SIZES.hello, 'hello');
      return { type: 'hello', version: view.getUint8(1) };
    }
    case MESSAGE_TYPES.request: {
      const view = expectSize(data, SIZES.request, 'request');
      const count = view.getUint32(9 + SHA256_BYTES);
      if (count === 0 || count > WIRE_LIMITS.maxChunksPerRequest) bad(`request of ${count} chunks`);
      return {
        type: 'request',
        id: view.getUint32(1),
        sha256: toHex(new Uint8Array(data, 5, SHA256_BYTES)),
        first: view.getUint32(5 + SHA256_BYTES),
        count,
      };
    }
    case MESSAGE_TYPES.chunk: {
      const view = expectSize(data, SIZES.chunk, 'chunk');
      const length = view.getUint32(9);
      if (length > WIRE_LIMITS.maxMessageBytes) bad(`chunk body of ${length} bytes`);
      return { type: 'chunk', id: view.getUint32(1), index: view.getUint32(5), length };
    }
    case MESSAGE_TYPES.cancel:
      return { type: 'cancel', id: expectSize(data, SIZES.cancel, 'cancel').getUint32(1) };
    case MESSAGE_TYPES.busy:
      return { type: 'busy', id: expectSize(data, SIZES.busy, 'busy').getUint32(1) };
    case MESSAGE_TYPES.error: {
      const view = expectSize(data, SIZES.error, 'error');
      const code = WIRE_ERROR_CODES[view.getUint8(5)];
      if (!code) bad(`error code ${view.getUint8(5)}`);
      return { type: 'error', id: view.getUint32(1), code };
    }
    default:
      return bad(`unknown message type ${type}`);
  }
}
