import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHUNK_SIZE,
  type ManifestAsset,
  PeerConnectError,
  parseManifestAsset,
} from '../protocol/index.js';
import { OriginResume } from './origin-resume.js';

const SIZE = 3 * CHUNK_SIZE + 1234;
const BODY = Uint8Array.from({ length: SIZE }, (_, i) => (i * 31 + (i >> 9)) & 0xff);
/** The same file after a deploy changed its third chunk. */
const CHANGED = BODY.slice();
CHANGED[2 * CHUNK_SIZE + 10] = (CHANGED[2 * CHUNK_SIZE + 10] ?? 0) ^ 0xff;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let server: Server;
let base: string;
let asset: ManifestAsset;

/** Serves `body` from the Range offset, in small pieces that do not line up with chunks. */
function serve(
  body: Uint8Array,
  range: string | undefined,
  res: import('node:http').ServerResponse,
) {
  const offset = Number(/^bytes=(\d+)-$/.exec(range ?? '')?.[1] ?? 0);
  res.writeHead(offset ? 206 : 200, {
    'Content-Length': SIZE - offset,
    ...(offset ? { 'Content-Range': `bytes ${offset}-${SIZE - 1}/${SIZE}` } : {}),
  });
  let at = offset;
  const step = () => {
    if (at >= SIZE) {
      res.end();
      return;
    }
    const piece = body.subarray(at, at + 5000);
    at += piece.length;
    res.write(piece, step);
  };
  step();
}

beforeAll(async () => {
  const chunks: string[] = [];
  for (let at = 0; at < SIZE; at += CHUNK_SIZE)
    chunks.push(sha256(BODY.subarray(at, at + CHUNK_SIZE)));
  asset = parseManifestAsset({
    path: '/file.bin',
    size: SIZE,
    type: 'application/octet-stream',
    sha256: sha256(BODY),
    chunks,
  });
  server = createServer((req, res) => {
    if (req.url === '/file.bin') serve(BODY, req.headers.range, res);
    else if (req.url === '/changed.bin') serve(CHANGED, req.headers.range, res);
    else if (req.url === '/short.bin') {
      res.writeHead(206, { 'Content-Range': `bytes ${CHUNK_SIZE}-${SIZE - 1}/${SIZE}` });
      res.end(BODY.subarray(CHUNK_SIZE, CHUNK_SIZE + 100));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function readAll(resume: OriginResume): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let chunk = await resume.read(); chunk; chunk = await resume.read()) out.push(chunk);
  return out;
}

describe('OriginResume', () => {
  it('hands out the rest of the file as whole verified chunks', async () => {
    const chunks = await readAll(new OriginResume(`${base}/file.bin`, asset, 1));
    expect(chunks.map((c) => c.byteLength)).toEqual([CHUNK_SIZE, CHUNK_SIZE, 1234]);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from(BODY.subarray(CHUNK_SIZE)));
  });

  it('refuses a tail that no longer matches the manifest instead of splicing it on', async () => {
    const resume = new OriginResume(`${base}/changed.bin`, asset, 1);
    expect((await resume.read())?.byteLength).toBe(CHUNK_SIZE);
    await expect(resume.read()).rejects.toSatisfy(
      (err) => err instanceof PeerConnectError && err.code === 'origin-error',
    );
  });

  it('says so when the origin body ends early', async () => {
    await expect(new OriginResume(`${base}/short.bin`, asset, 1).read()).rejects.toSatisfy(
      (err) => err instanceof PeerConnectError && err.code === 'origin-error',
    );
  });

  it('is done at once when nothing is missing', async () => {
    expect(await new OriginResume(`${base}/file.bin`, asset, 4).read()).toBeUndefined();
  });
});
