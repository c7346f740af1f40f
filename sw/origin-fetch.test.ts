import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PeerConnectError } from '../protocol/index.js';
import { fetchFromOffset } from './origin-fetch.js';

const SIZE = 200_000;
const BODY = Uint8Array.from({ length: SIZE }, (_, i) => (i * 13 + (i >> 8)) & 0xff);

/** What each path does with a `Range: bytes=N-` request. */
const routes: Record<string, (req: IncomingMessage, res: ServerResponse, offset: number) => void> =
  {
    // A correct origin: 206 from the offset asked for.
    '/ranged': (_req, res, offset) => {
      if (offset === 0) {
        res.writeHead(200, { 'Content-Length': SIZE });
        res.end(BODY);
        return;
      }
      res.writeHead(206, {
        'Content-Range': `bytes ${offset}-${SIZE - 1}/${SIZE}`,
        'Content-Length': SIZE - offset,
      });
      res.end(BODY.subarray(offset));
    },
    // An origin that ignores Range, and sends the body in small pieces so that the prefix to
    // skip spans several stream chunks.
    '/ignores-range': (_req, res) => {
      res.writeHead(200, { 'Content-Length': SIZE });
      let at = 0;
      const step = () => {
        if (at >= SIZE) {
          res.end();
          return;
        }
        const piece = BODY.subarray(at, at + 1000 + (at % 7) * 100);
        at += piece.length;
        res.write(piece, step);
      };
      step();
    },
    // A 206 that starts somewhere else than asked.
    '/wrong-offset': (_req, res, offset) => {
      const start = Math.max(0, offset - 100);
      res.writeHead(206, {
        'Content-Range': `bytes ${start}-${SIZE - 1}/${SIZE}`,
        'Content-Length': SIZE - start,
      });
      res.end(BODY.subarray(start));
    },
    '/no-content-range': (_req, res, offset) => {
      res.writeHead(206, { 'Content-Length': SIZE - offset });
      res.end(BODY.subarray(offset));
    },
    '/missing': (_req, res) => {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    },
    '/broken': (_req, res) => {
      res.writeHead(500);
      res.end('oops');
    },
  };

let server: Server;
let base: string;
let seen: { path: string; range: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    const range = req.headers.range;
    seen.push({ path, range });
    const offset = Number(/^bytes=(\d+)-$/.exec(range ?? '')?.[1] ?? 0);
    const route = routes[path];
    if (route) route(req, res, offset);
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = [];
});

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    length += value.byteLength;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/** Byte-exact comparison that reports the first differing offset (fast on large arrays). */
function expectBytes(got: Uint8Array, want: Uint8Array): void {
  expect(got.length).toBe(want.length);
  let firstDiff = -1;
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) {
      firstDiff = i;
      break;
    }
  }
  expect(firstDiff).toBe(-1);
}

async function expectOriginError(promise: Promise<unknown>): Promise<PeerConnectError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PeerConnectError);
  expect((err as PeerConnectError).code).toBe('origin-error');
  return err as PeerConnectError;
}

describe('fetchFromOffset', () => {
  it('reads the rest of the body from a 206', async () => {
    const stream = await fetchFromOffset(`${base}/ranged`, 70_000);
    expectBytes(await readAll(stream), BODY.subarray(70_000));
    expect(seen).toEqual([{ path: '/ranged', range: 'bytes=70000-' }]);
  });

  it('reads the whole body at offset 0 without a Range header', async () => {
    const stream = await fetchFromOffset(`${base}/ranged`, 0);
    expectBytes(await readAll(stream), BODY);
    expect(seen).toEqual([{ path: '/ranged', range: undefined }]);
  });

  it('skips the prefix when the server ignores Range and answers 200', async () => {
    for (const offset of [1, 999, 1000, 12_345, SIZE - 1]) {
      const stream = await fetchFromOffset(`${base}/ignores-range`, offset);
      expectBytes(await readAll(stream), BODY.subarray(offset));
    }
    expect(seen.every((request) => request.range?.startsWith('bytes='))).toBe(true);
  });

  it('yields nothing when the offset is the size and the server ignores Range', async () => {
    const stream = await fetchFromOffset(`${base}/ignores-range`, SIZE);
    expect((await readAll(stream)).length).toBe(0);
  });

  it('rejects a 206 that starts at another offset', async () => {
    const err = await expectOriginError(fetchFromOffset(`${base}/wrong-offset`, 5_000));
    expect(err.message).toContain('4900');
  });

  it('rejects a 206 without Content-Range', async () => {
    await expectOriginError(fetchFromOffset(`${base}/no-content-range`, 5_000));
  });

  it('rejects 404 and 500, with and without an offset', async () => {
    const err = await expectOriginError(fetchFromOffset(`${base}/missing`, 0));
    expect(err.message).toContain('404');
    await expectOriginError(fetchFromOffset(`${base}/missing`, 10));
    const broken = await expectOriginError(fetchFromOffset(`${base}/broken`, 10));
    expect(broken.message).toContain('500');
  });
});
