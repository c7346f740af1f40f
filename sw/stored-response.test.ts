import { describe, expect, it } from 'vitest';
import type { ManifestAsset } from '../protocol/index.js';
import { assetHeaders, storedResponse } from './stored-response.js';

const SIZE = 1000;
const BYTES = Uint8Array.from({ length: SIZE }, (_, i) => (i * 7 + 3) & 0xff);
const ASSET: ManifestAsset = {
  path: '/video.mp4',
  size: SIZE,
  type: 'video/mp4',
  sha256: 'a'.repeat(64),
  chunks: ['b'.repeat(64)],
};

function respond(range: string | null): Response {
  return storedResponse(ASSET, new Blob([BYTES]), range);
}

async function body(response: Response): Promise<Uint8Array> {
  return new Uint8Array(await response.arrayBuffer());
}

async function expectFull(response: Response): Promise<void> {
  expect(response.status).toBe(200);
  expect(response.headers.get('Content-Range')).toBeNull();
  expect(response.headers.get('Content-Length')).toBe(String(SIZE));
  expect(await body(response)).toEqual(BYTES);
}

async function expectPartial(response: Response, start: number, end: number): Promise<void> {
  expect(response.status).toBe(206);
  expect(response.headers.get('Content-Range')).toBe(`bytes ${start}-${end}/${SIZE}`);
  expect(response.headers.get('Content-Length')).toBe(String(end - start + 1));
  expect(response.headers.get('Content-Type')).toBe('video/mp4');
  expect(response.headers.get('X-PeerConnect-Source')).toBe('cache');
  const got = await body(response);
  expect(got.length).toBe(end - start + 1);
  expect(got).toEqual(BYTES.slice(start, end + 1));
}

async function expectUnsatisfiable(response: Response): Promise<void> {
  expect(response.status).toBe(416);
  expect(response.headers.get('Content-Range')).toBe(`bytes */${SIZE}`);
  expect((await body(response)).length).toBe(0);
}

describe('assetHeaders', () => {
  it('describes the asset and where it came from', () => {
    const headers = assetHeaders(ASSET, 'peer', 10);
    expect(headers.get('Content-Type')).toBe('video/mp4');
    expect(headers.get('Content-Length')).toBe('10');
    expect(headers.get('Accept-Ranges')).toBe('bytes');
    expect(headers.get('X-PeerConnect-Source')).toBe('peer');
    expect(assetHeaders(ASSET, 'cache').get('Content-Length')).toBe(String(SIZE));
  });
});

describe('storedResponse', () => {
  it('answers the whole body without a Range header', async () => {
    const response = respond(null);
    await expectFull(response);
    expect(response.headers.get('Accept-Ranges')).toBe('bytes');
    expect(response.headers.get('Content-Type')).toBe('video/mp4');
  });

  it('answers bytes=a-b with exactly those bytes', async () => {
    await expectPartial(respond('bytes=0-0'), 0, 0);
    await expectPartial(respond('bytes=0-99'), 0, 99);
    await expectPartial(respond('bytes=10-19'), 10, 19);
    await expectPartial(respond('bytes=998-999'), 998, 999);
    await expectPartial(respond('  bytes=5-6 '), 5, 6);
  });

  it('answers bytes=a- with the rest of the body', async () => {
    await expectPartial(respond('bytes=0-'), 0, 999);
    await expectPartial(respond('bytes=600-'), 600, 999);
    await expectPartial(respond('bytes=999-'), 999, 999);
  });

  it('answers a suffix bytes=-n with the last n bytes', async () => {
    await expectPartial(respond('bytes=-1'), 999, 999);
    await expectPartial(respond('bytes=-300'), 700, 999);
    // A suffix longer than the body is the whole body, as a 206.
    await expectPartial(respond('bytes=-5000'), 0, 999);
  });

  it('clamps an end past the size', async () => {
    await expectPartial(respond('bytes=900-5000'), 900, 999);
    await expectPartial(respond('bytes=0-1000'), 0, 999);
  });

  it('answers 416 with bytes */size when nothing of the range exists', async () => {
    await expectUnsatisfiable(respond('bytes=1000-'));
    await expectUnsatisfiable(respond('bytes=1000-1001'));
    await expectUnsatisfiable(respond('bytes=5000-6000'));
    await expectUnsatisfiable(respond('bytes=-0'));
  });

  it('answers 416 for any range of an empty asset', async () => {
    const empty = { ...ASSET, size: 0, chunks: [] };
    const response = storedResponse(empty, new Blob([]), 'bytes=0-');
    expect(response.status).toBe(416);
    expect(response.headers.get('Content-Range')).toBe('bytes */0');
  });

  it('ignores a malformed or multi-range header and answers the whole body', async () => {
    for (const header of [
      '',
      'bytes=',
      'bytes=-',
      'bytes=a-b',
      'bytes=1-2,4-5',
      'items=0-10',
      'bytes 0-10',
      'bytes=0-10;',
      'bytes=--1',
    ]) {
      await expectFull(respond(header));
    }
  });

  it('ignores an inverted range (last before first) as RFC 9110 and the origin do', async () => {
    // RFC 9110 §14.1.1: a byte-range-spec whose last-pos is below its first-pos is invalid, and
    // the origin (protocol/range.ts) answers such a request with the whole body, not 416.
    await expectFull(respond('bytes=500-100'));
    await expectFull(respond('bytes=1-0'));
  });

  it('reads the unit and its whitespace as leniently as the origin does', async () => {
    // The worker's own parser once ignored these; the origin honours them, so the store now does.
    await expectPartial(respond(' Bytes = 2 - 4 '), 2, 4);
    await expectPartial(respond('BYTES=10-19'), 10, 19);
  });
});
