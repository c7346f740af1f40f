import { describe, expect, it } from 'vitest';
import { contentRange, parseRange, unsatisfiedRange } from './range.js';

describe('parseRange', () => {
  it.each([
    ['bytes=0-0', 10, { start: 0, end: 0 }],
    ['bytes=0-9', 10, { start: 0, end: 9 }],
    ['bytes=3-', 10, { start: 3, end: 9 }],
    ['bytes=9-', 10, { start: 9, end: 9 }],
    ['bytes=5-100', 10, { start: 5, end: 9 }],
    ['bytes=-3', 10, { start: 7, end: 9 }],
    ['bytes=-30', 10, { start: 0, end: 9 }],
    [' Bytes = 2 - 4 ', 10, { start: 2, end: 4 }],
  ])('%s of %d bytes → %j', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });

  it.each([
    ['bytes=10-', 10],
    ['bytes=10-20', 10],
    ['bytes=-0', 10],
    ['bytes=0-', 0],
    ['bytes=-1', 0],
    [`bytes=${'9'.repeat(400)}-`, 10],
  ])('%s of %d bytes is unsatisfiable', (header, size) => {
    expect(parseRange(header, size)).toBe('unsatisfiable');
  });

  it.each([
    [undefined],
    [null],
    [''],
    ['bytes=5-2'],
    ['bytes=-'],
    ['bytes=0-1,3-4'],
    ['bytes=a-b'],
    ['pages=0-1'],
    ['bytes 0-1'],
  ])('%j means the whole body', (header) => {
    expect(parseRange(header, 10)).toBeUndefined();
  });

  it('formats Content-Range', () => {
    expect(contentRange({ start: 2, end: 4 }, 10)).toBe('bytes 2-4/10');
    expect(unsatisfiedRange(10)).toBe('bytes */10');
  });
});
