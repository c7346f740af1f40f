import { createHash } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import { createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CHUNK_SIZE, type ManifestAsset } from '../protocol/index.js';
import { buildManifest } from '../site/index.js';
import { makeTempSite, patternBytes, type TempSite } from '../testing/index.js';
import { sendVerifiedAsset } from './verified-asset.js';

const SIZE = 5 * CHUNK_SIZE + 123;
const ORIGINAL = patternBytes(SIZE, 1);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The response ended with its full length; false when the server cut it off. */
  complete: boolean;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A server answering every request with sendVerifiedAsset for `a.bin` as built at start. */
async function serveAsset(): Promise<{
  site: TempSite;
  asset: ManifestAsset;
  stale: string[];
  fetch(headers?: Record<string, string>): Promise<Answer>;
}> {
  const site = await makeTempSite({ 'a.bin.js': ORIGINAL });
  const asset = (await buildManifest(site.dir)).release.assets.get('/a.bin.js')!;
  const filePath = join(site.dir, 'a.bin.js');
  const stale: string[] = [];
  const server = createServer(async (req, res) => {
    const ex = { req, res, kind: 'asset' as const, release: undefined, countBytes: () => {} };
    await sendVerifiedAsset(ex, asset, filePath, await stat(filePath), (d) => stale.push(d));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await site.cleanup();
  });
  const fetchAnswer = (headers: Record<string, string> = {}) =>
    new Promise<Answer>((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/a.bin.js', headers }, (res) => {
        const chunks: Buffer[] = [];
        const finish = (complete: boolean) => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, complete });
        };
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => finish(true));
        res.on('aborted', () => finish(false));
        res.on('error', () => finish(false));
      }).on('error', reject);
    });
  return { site, asset, stale, fetch: fetchAnswer };
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('sendVerifiedAsset', () => {
  it('serves the whole file and Range slices across chunk boundaries, with its hash as ETag', async () => {
    const s = await serveAsset();
    const whole = await s.fetch();
    expect(whole.status).toBe(200);
    expect(sha(whole.body)).toBe(s.asset.sha256);
    expect(whole.headers.etag).toBe(`"${s.asset.sha256}"`);
    const start = CHUNK_SIZE - 10;
    const end = 3 * CHUNK_SIZE + 5;
    const part = await s.fetch({ Range: `bytes=${start}-${end}` });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes ${start}-${end}/${SIZE}`);
    expect(part.body.equals(Buffer.from(ORIGINAL.subarray(start, end + 1)))).toBe(true);
    const tail = await s.fetch({ Range: 'bytes=-7' });
    expect(tail.body.equals(Buffer.from(ORIGINAL.subarray(SIZE - 7)))).toBe(true);
    expect(s.stale).toEqual([]);
  });

  it('answers 503 with Retry-After, never the new bytes, when the first chunk changed', async () => {
    const s = await serveAsset();
    await writeFile(join(s.site.dir, 'a.bin.js'), patternBytes(SIZE, 2));
    const answer = await s.fetch();
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBeDefined();
    expect(answer.headers.etag).toBeUndefined();
    expect(s.stale).toHaveLength(1);
  });

  it('cuts the response off before a changed later chunk: only verified bytes go out', async () => {
    const s = await serveAsset();
    const edited = Buffer.from(ORIGINAL);
    edited[4 * CHUNK_SIZE + 1] = (edited[4 * CHUNK_SIZE + 1]! + 1) % 256;
    await writeFile(join(s.site.dir, 'a.bin.js'), edited);
    const answer = await s.fetch();
    expect(answer.status).toBe(200);
    expect(answer.complete).toBe(false);
    expect(answer.body.length).toBeLessThanOrEqual(4 * CHUNK_SIZE);
    expect(answer.body.equals(Buffer.from(ORIGINAL.subarray(0, answer.body.length)))).toBe(true);
    expect(s.stale[0]).toContain('chunk 4');
    // A Range that covers only unchanged chunks is still served.
    const early = await s.fetch({ Range: `bytes=0-${CHUNK_SIZE}` });
    expect(early.status).toBe(206);
    expect(early.complete).toBe(true);
  });

  it('refuses a file whose size is no longer the manifest size', async () => {
    const s = await serveAsset();
    await writeFile(join(s.site.dir, 'a.bin.js'), ORIGINAL.subarray(0, SIZE - 1));
    expect((await s.fetch()).status).toBe(503);
    expect(s.stale[0]).toContain('bytes on disk');
  });
});
