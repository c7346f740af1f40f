import { describe, expect, it } from 'vitest';
import { Bitfield } from './bitfield.js';

describe('Bitfield', () => {
  it('sets, clears, tests and counts bits', () => {
    const bits = new Bitfield(20);
    expect(bits.bytes.length).toBe(3);
    expect(bits.count()).toBe(0);
    for (const i of [0, 7, 8, 13, 19]) bits.set(i);
    for (let i = 0; i < 20; i++) expect(bits.has(i)).toBe([0, 7, 8, 13, 19].includes(i));
    expect(bits.count()).toBe(5);
    bits.set(7, false);
    bits.set(7, false);
    bits.set(0);
    expect(bits.has(7)).toBe(false);
    expect(bits.has(0)).toBe(true);
    expect(bits.count()).toBe(4);
  });

  it('has() is false outside the range instead of throwing', () => {
    const bits = new Bitfield(9, new Uint8Array([0xff, 0x80]));
    expect(bits.has(8)).toBe(true);
    for (const i of [-1, 9, 16, 1.5, Number.NaN]) expect(bits.has(i)).toBe(false);
  });

  it('lays bits out most significant first (bit 0 is 0x80 of byte 0)', () => {
    const bits = new Bitfield(16);
    bits.set(0);
    expect([...bits.bytes]).toEqual([0x80, 0x00]);
    bits.set(7);
    expect([...bits.bytes]).toEqual([0x81, 0x00]);
    bits.set(9);
    expect([...bits.bytes]).toEqual([0x81, 0x40]);
    const parsed = new Bitfield(16, new Uint8Array([0x01, 0x80]));
    expect([...Array(16).keys()].filter((i) => parsed.has(i))).toEqual([7, 8]);
  });

  it('round-trips through base64', () => {
    const bits = new Bitfield(37);
    for (const i of [0, 3, 11, 12, 30, 36]) bits.set(i);
    const text = bits.toBase64();
    expect(text).toBe(Buffer.from(bits.bytes).toString('base64'));
    const back = Bitfield.fromBase64(37, text);
    expect([...back.bytes]).toEqual([...bits.bytes]);
    expect([...Array(37).keys()].filter((i) => back.has(i))).toEqual([0, 3, 11, 12, 30, 36]);
    expect(Bitfield.fromBase64(0, '').count()).toBe(0);
  });

  it('copies the bytes it is given', () => {
    const source = new Uint8Array([0x80]);
    const bits = new Bitfield(8, source);
    source[0] = 0;
    expect(bits.has(0)).toBe(true);
  });

  it('clears padding bits past length so equal sets have equal bytes', () => {
    const bits = new Bitfield(10, new Uint8Array([0xff, 0xff]));
    expect([...bits.bytes]).toEqual([0xff, 0xc0]);
    expect(bits.count()).toBe(10);
    expect(Bitfield.fromBase64(10, btoa('\xff\xff')).toBase64()).toBe(
      new Bitfield(10, new Uint8Array([0xff, 0xc0])).toBase64(),
    );
    const one = new Bitfield(1, new Uint8Array([0xff]));
    expect([...one.bytes]).toEqual([0x80]);
    // A whole number of bytes has no padding to clear.
    expect([...new Bitfield(8, new Uint8Array([0xff])).bytes]).toEqual([0xff]);
  });

  it('rejects bytes of the wrong length', () => {
    expect(() => new Bitfield(9, new Uint8Array(1))).toThrow(RangeError);
    expect(() => new Bitfield(9, new Uint8Array(3))).toThrow(RangeError);
    expect(() => new Bitfield(0, new Uint8Array(1))).toThrow(RangeError);
    expect(() => Bitfield.fromBase64(8, btoa('\x01\x02'))).toThrow(RangeError);
  });

  it('throws when setting a bit out of range', () => {
    const bits = new Bitfield(8);
    for (const i of [-1, 8, 100, 0.5, Number.NaN]) {
      expect(() => bits.set(i)).toThrow(RangeError);
      expect(() => bits.set(i, false)).toThrow(RangeError);
    }
    expect([...bits.bytes]).toEqual([0]);
  });

  it('rejects text that is not base64', () => {
    for (const text of ['!!!!', 'a', 'ab*d', '====a']) {
      expect(() => Bitfield.fromBase64(8, text)).toThrow(RangeError);
    }
  });
});
