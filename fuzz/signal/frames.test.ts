import { describe, expect, it } from 'vitest';
import { parseClientMessage, SIGNALING_LIMITS } from '../../protocol/index.js';
import { anyValid, peerId, signalOfSize } from './frames.js';
import { type HostileKind, hostileFrame } from './hostile-frames.js';
import { Prng } from './prng.js';

const prng = new Prng(11);
const aim = { to: peerId(prng), from: peerId(prng) };
/** Kinds that no server may accept as a message, whatever the draw. */
const NEVER_VALID: HostileKind[] = ['malformed-json', 'truncated'];
const CAP = SIGNALING_LIMITS.maxMessageBytes;

describe('fuzz frames', () => {
  it('speaks the grammar when asked to', () => {
    for (let i = 0; i < 500; i++) {
      const { kind, data } = anyValid(prng, aim.to, aim.from);
      expect(kind).toBe('valid');
      expect(() => parseClientMessage(String(data))).not.toThrow();
    }
  });

  it('sizes a signal to the byte around the frame cap', () => {
    for (const bytes of [CAP - 1, CAP, CAP + 1]) {
      const f = signalOfSize(aim.to, aim.from, prng, bytes);
      expect(Buffer.byteLength(f.data)).toBe(bytes);
      expect(f.kind).toBe(bytes > CAP ? 'oversized' : 'valid');
    }
  });

  it('breaks it in the way each hostile kind says', () => {
    for (const kind of NEVER_VALID) {
      for (let i = 0; i < 200; i++) {
        const f = hostileFrame(prng, aim, kind);
        expect(f.kind).toBe(kind);
        expect(() => parseClientMessage(String(f.data)), String(f.data).slice(0, 80)).toThrow();
      }
    }
    // Oversized frames are drawn around the cap too; those past it are refused.
    const sizes = new Set<boolean>();
    for (let i = 0; i < 200; i++) {
      const { data } = hostileFrame(prng, aim, 'oversized');
      sizes.add(data.length > CAP);
      if (data.length > CAP) expect(() => parseClientMessage(String(data))).toThrow();
    }
    expect(sizes).toEqual(new Set([true, false]));
    // Deep nesting is sized to be read, not refused by its size (in an unknown field it is valid).
    for (let i = 0; i < 100; i++) {
      const { data } = hostileFrame(prng, aim, 'deep-nesting');
      expect(Buffer.byteLength(data)).toBeLessThanOrEqual(CAP);
    }
    for (let i = 0; i < 50; i++)
      expect(Buffer.isBuffer(hostileFrame(prng, aim, 'binary').data)).toBe(true);
  });

  it('draws every hostile kind', () => {
    const kinds = new Set(Array.from({ length: 2000 }, () => hostileFrame(prng, aim).kind));
    expect(kinds.size).toBe(7);
  });
});
