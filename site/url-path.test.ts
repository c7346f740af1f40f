import { describe, expect, it } from 'vitest';
import { urlPathFor } from './url-path.js';

describe('urlPathFor', () => {
  it.each([
    [['a.png'], '/a.png'],
    [['img', 'a b.png'], '/img/a%20b.png'],
    [['é.css'], '/%C3%A9.css'],
    [['100%.png'], '/100%25.png'],
    [['q?.js'], '/q%3F.js'],
    [['h#.js'], '/h%23.js'],
    [['back\\slash.js'], '/back%5Cslash.js'],
    [['tab\there.js'], '/tab%09here.js'],
    [["it's(1).png"], "/it's(1).png"],
  ])('%j → %s', (segments, expected) => {
    expect(urlPathFor(segments)).toBe(expected);
  });

  it('decodes back to the file name, segment by segment', () => {
    const names = ['a b', '100%', 'q?#', 'ü', 'x\\y', '%41'];
    const path = urlPathFor(names);
    expect(path.split('/').slice(1).map(decodeURIComponent)).toEqual(names);
  });
});
