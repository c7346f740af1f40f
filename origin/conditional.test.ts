import { describe, expect, it } from 'vitest';
import { bodyEtag, fileEtag, ifRangeHolds, isNotModified } from './conditional.js';

const MTIME = Date.parse('2024-05-01T10:20:30.456Z');
const ETAG = fileEtag(1234, MTIME);

describe('validators', () => {
  it('changes the file ETag with size or mtime, and the body ETag with content', () => {
    expect(ETAG).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(fileEtag(1235, MTIME)).not.toBe(ETAG);
    expect(fileEtag(1234, MTIME + 1)).not.toBe(ETAG);
    expect(bodyEtag(Buffer.from('a'))).toBe(bodyEtag(Buffer.from('a')));
    expect(bodyEtag(Buffer.from('a'))).not.toBe(bodyEtag(Buffer.from('b')));
  });
});

describe('isNotModified', () => {
  const lastModified = new Date(MTIME).toUTCString();
  it.each([
    [{ 'if-none-match': ETAG }, true],
    [{ 'if-none-match': `W/${ETAG}` }, true],
    [{ 'if-none-match': `"x", ${ETAG}` }, true],
    [{ 'if-none-match': '*' }, true],
    [{ 'if-none-match': '"x"' }, false],
    [{ 'if-none-match': '"x"', 'if-modified-since': lastModified }, false],
    [{ 'if-modified-since': lastModified }, true],
    [{ 'if-modified-since': new Date(MTIME - 1000).toUTCString() }, false],
    [{ 'if-modified-since': 'garbage' }, false],
    [{}, false],
  ])('%j → %s', (headers, expected) => {
    expect(isNotModified(headers, ETAG, MTIME)).toBe(expected);
  });
});

describe('ifRangeHolds', () => {
  it.each([
    [{}, true],
    [{ 'if-range': ETAG }, true],
    [{ 'if-range': `W/${ETAG}` }, false],
    [{ 'if-range': '"other"' }, false],
    [{ 'if-range': new Date(MTIME).toUTCString() }, true],
    [{ 'if-range': new Date(MTIME + 5000).toUTCString() }, false],
    [{ 'if-range': 'garbage' }, false],
  ])('%j → %s', (headers, expected) => {
    expect(ifRangeHolds(headers, ETAG, MTIME)).toBe(expected);
  });
});
