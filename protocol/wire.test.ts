import { describe, expect, it } from 'vitest';
import { PeerConnectError } from './errors.js';
import {
  decodeWireMessage,
  encodeWireMessage,
  MESSAGE_TYPES,
  WIRE_ERROR_CODES,
  WIRE_LIMITS,
  WIRE_VERSION,
  type WireMessage,
} from './wire.js';

function hashHex(seed: number): string {
  return Array.from({ length: 32 }, (_, i) =>
    ((i * 7 + seed) & 0xff).toString(16).padStart(2, '0'),
  ).join('');
}

/** Asserts that decoding `data` throws PeerConnectError('bad-wire-message'). */
function expectBadWire(data: unknown): void {
  let caught: unknown;
  try {
    decodeWireMessage(data as ArrayBuffer);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(PeerConnectError);
  expect((caught as PeerConnectError).code).toBe('bad-wire-message');
}

function bytes(...values: number[]): ArrayBuffer {
  return Uint8Array.from(values).buffer;
}

/** A well-formed message of `type` padded or cut to `size` bytes. */
function ofSize(type: number, size: number): ArrayBuffer {
  const out = new Uint8Array(size);
  out[0] = type;
  return out.buffer;
}

describe('wire round trip', () => {
  const messages: WireMessage[] = [
    { type: 'hello', version: WIRE_VERSION },
    { type: 'hello', version: 255 },
    { type: 'request', id: 1, sha256: hashHex(3), first: 3, count: 4 },
    {
      type: 'request',
      id: 0xffff_ffff,
      sha256: hashHex(200),
      first: 0xdead_beef,
      count: WIRE_LIMITS.maxChunksPerRequest,
    },
    { type: 'chunk', id: 7, index: 9, length: 1 },
    { type: 'chunk', id: 0xffff_fffe, index: 0x0102_0304, length: WIRE_LIMITS.maxMessageBytes },
    { type: 'chunk', id: 1, index: 0, length: 0 },
    { type: 'cancel', id: 42 },
    { type: 'cancel', id: 0xffff_ffff },
    { type: 'busy', id: 17 },
    ...WIRE_ERROR_CODES.map((code, i): WireMessage => ({ type: 'error', id: 100 + i, code })),
  ];

  for (const message of messages) {
    it(`${message.type} ${JSON.stringify(message).slice(0, 80)}`, () => {
      const encoded = encodeWireMessage(message);
      expect(encoded).toBeInstanceOf(ArrayBuffer);
      expect(encoded.byteLength).toBeLessThanOrEqual(WIRE_LIMITS.maxMessageBytes);
      expect(new Uint8Array(encoded)[0]).toBe(MESSAGE_TYPES[message.type]);
      expect(decodeWireMessage(encoded)).toEqual(message);
    });
  }

  it('uses big-endian fields at fixed offsets', () => {
    const sha256 = hashHex(9);
    const encoded = new Uint8Array(
      encodeWireMessage({ type: 'request', id: 0x01020304, sha256, first: 6, count: 7 }),
    );
    expect([...encoded.slice(0, 5)]).toEqual([1, 1, 2, 3, 4]);
    expect(Buffer.from(encoded.slice(5, 37)).toString('hex')).toBe(sha256);
    expect([...encoded.slice(37)]).toEqual([0, 0, 0, 6, 0, 0, 0, 7]);
  });

  it('encodes each error code as its index', () => {
    for (const [i, code] of WIRE_ERROR_CODES.entries()) {
      const encoded = new Uint8Array(encodeWireMessage({ type: 'error', id: 1, code }));
      expect(encoded[5]).toBe(i);
    }
  });

  it('refuses to encode a request for something that is not a sha-256', () => {
    for (const sha256 of ['', 'ab', hashHex(1).toUpperCase(), `${hashHex(1)}00`]) {
      expect(() =>
        encodeWireMessage({ type: 'request', id: 1, sha256, first: 0, count: 1 }),
      ).toThrow(PeerConnectError);
    }
  });
});

describe('decodeWireMessage rejects', () => {
  it('an empty message', () => {
    expectBadWire(new ArrayBuffer(0));
  });

  it('a message over 64 KiB', () => {
    const oversized = new Uint8Array(WIRE_LIMITS.maxMessageBytes + 1);
    oversized[0] = MESSAGE_TYPES.cancel;
    expectBadWire(oversized.buffer);
  });

  it('unknown message types, and v1 `have`', () => {
    for (const type of [4, 7, 8, 100, 255]) expectBadWire(bytes(type, 0, 0, 0, 1));
  });

  it('wrong length for each fixed-size type', () => {
    const sizes: Record<string, number> = {
      hello: 2,
      request: 45,
      chunk: 13,
      cancel: 5,
      busy: 5,
      error: 6,
    };
    for (const [name, size] of Object.entries(sizes)) {
      const type = MESSAGE_TYPES[name as keyof typeof MESSAGE_TYPES];
      expectBadWire(ofSize(type, size - 1));
      expectBadWire(ofSize(type, size + 1));
      expectBadWire(ofSize(type, 1));
    }
  });

  it('a request for 0 chunks or more than maxChunksPerRequest', () => {
    const request = (count: number) => {
      const view = new DataView(new ArrayBuffer(45));
      view.setUint8(0, MESSAGE_TYPES.request);
      view.setUint32(41, count);
      return view.buffer;
    };
    expectBadWire(request(0));
    expectBadWire(request(WIRE_LIMITS.maxChunksPerRequest + 1));
    expectBadWire(request(0xffff_ffff));
    expect(decodeWireMessage(request(1))).toMatchObject({
      type: 'request',
      sha256: '0'.repeat(64),
      count: 1,
    });
    expect(decodeWireMessage(request(WIRE_LIMITS.maxChunksPerRequest))).toMatchObject({
      count: WIRE_LIMITS.maxChunksPerRequest,
    });
  });

  it('a chunk header announcing a body over 64 KiB', () => {
    const chunk = (length: number) => {
      const view = new DataView(new ArrayBuffer(13));
      view.setUint8(0, MESSAGE_TYPES.chunk);
      view.setUint32(9, length);
      return view.buffer;
    };
    expectBadWire(chunk(WIRE_LIMITS.maxMessageBytes + 1));
    expectBadWire(chunk(0xffff_ffff));
    expect(decodeWireMessage(chunk(WIRE_LIMITS.maxMessageBytes))).toMatchObject({
      length: WIRE_LIMITS.maxMessageBytes,
    });
  });

  it('an unknown error code', () => {
    for (const code of [WIRE_ERROR_CODES.length, 200, 255]) {
      expectBadWire(bytes(MESSAGE_TYPES.error, 0, 0, 0, 1, code));
    }
  });

  it('input that is not an ArrayBuffer', () => {
    const valid = encodeWireMessage({ type: 'cancel', id: 1 });
    expectBadWire(new Uint8Array(valid));
    expectBadWire(new DataView(valid));
    expectBadWire('\u0003\u0000\u0000\u0000\u0001');
    expectBadWire(null);
    expectBadWire(undefined);
    expectBadWire([3, 0, 0, 0, 1]);
  });
});
