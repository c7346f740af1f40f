import { describe, expect, it } from 'vitest';
import { bindingRequest, parseBindingResponse, STUN_MAGIC_COOKIE } from './stun-message.js';

const TX = Uint8Array.from({ length: 12 }, (_, i) => i + 1);

/** A Binding success response with XOR-MAPPED-ADDRESS 198.18.0.11:49727 and OTHER-ADDRESS. */
function successResponse(transactionId: Uint8Array): Buffer {
  const xorMapped = Buffer.alloc(12);
  xorMapped.writeUInt16BE(0x0020, 0);
  xorMapped.writeUInt16BE(8, 2);
  xorMapped.writeUInt8(0x01, 5);
  xorMapped.writeUInt16BE(49_727 ^ (STUN_MAGIC_COOKIE >>> 16), 6);
  xorMapped.writeUInt32BE((((198 << 24) | (18 << 16) | 11) ^ STUN_MAGIC_COOKIE) >>> 0, 8);
  const other = Buffer.from([0x80, 0x2c, 0, 8, 0, 1, 0x0d, 0x98, 198, 18, 0, 3]);
  const header = Buffer.alloc(20);
  header.writeUInt16BE(0x0101, 0);
  header.writeUInt16BE(xorMapped.length + other.length, 2);
  header.writeUInt32BE(STUN_MAGIC_COOKIE, 4);
  header.set(transactionId, 8);
  return Buffer.concat([header, xorMapped, other]);
}

describe('STUN binding messages', () => {
  it('encodes a Binding request, with CHANGE-REQUEST when asked', () => {
    const plain = bindingRequest(TX);
    expect(plain.length).toBe(20);
    expect(plain.readUInt16BE(0)).toBe(0x0001);
    expect(plain.readUInt16BE(2)).toBe(0);
    expect(plain.readUInt32BE(4)).toBe(STUN_MAGIC_COOKIE);
    expect([...plain.subarray(8)]).toEqual([...TX]);
    const change = bindingRequest(TX, { changeIpAndPort: true });
    expect(change.readUInt16BE(2)).toBe(8);
    expect([...change.subarray(20)]).toEqual([0, 3, 0, 4, 0, 0, 0, 6]);
  });

  it('reads the XOR-mapped and other address of its own transaction only', () => {
    expect(parseBindingResponse(successResponse(TX), TX)).toEqual({
      mapped: { ip: '198.18.0.11', port: 49_727 },
      otherAddress: { ip: '198.18.0.3', port: 3480 },
    });
    expect(parseBindingResponse(successResponse(TX), new Uint8Array(12))).toBeNull();
    expect(parseBindingResponse(bindingRequest(TX), TX)).toBeNull();
    expect(parseBindingResponse(new Uint8Array(5), TX)).toBeNull();
  });

  it('rejects a transaction id of the wrong size', () => {
    expect(() => bindingRequest(new Uint8Array(8))).toThrow(/12 bytes/);
  });
});
