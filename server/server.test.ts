import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ORIGIN_METRIC_NAMES } from '../origin/index.js';
import {
  PATHS,
  parseManifestRoot,
  parseManifestShard,
  RELEASE_HEADER,
  shardUrlPath,
} from '../protocol/index.js';
import {
  FAKE_BUNDLES,
  patternBytes,
  rawRequest,
  startTestOrigin,
  type TestOrigin,
} from '../testing/index.js';

const IMAGE = patternBytes(200_000);
const IMAGE_SIZE = IMAGE.length;
const FILES = {
  'index.html': '<!doctype html><html><head><title>home</title></head><body></body></html>',
  'docs/index.html': '<p>docs</p>',
  'img/a.png': IMAGE,
  'img/a b.png': 'spaced',
  'style.css': 'body { color: red }',
  'empty.js': '',
  'data.json': '{"not":"an asset"}',
  'no-index/x.css': 'x',
  '.env': 'SECRET=1',
  '.well-known/security.txt': 'Contact: x',
};

let origin: TestOrigin;
let port: number;

beforeAll(async () => {
  origin = await startTestOrigin(FILES, { firstVisit: 'off' });
  port = origin.server.port;
  await origin.site.write('../outside/secret.txt', 'outside secret');
  await symlink(join(origin.site.outside, 'secret.txt'), join(origin.site.dir, 'leak.txt'));
  await symlink(origin.site.outside, join(origin.site.dir, 'leakdir'));
});
afterAll(() => origin.close());

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(origin.url(path), { headers });

describe('static files', () => {
  it('serves a file with its type, length, validators, ranges and CORS headers', async () => {
    const res = await get('/img/a.png');
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(IMAGE))).toBe(true);
    expect(Object.fromEntries(res.headers)).toMatchObject({
      'content-type': 'image/png',
      'content-length': String(IMAGE_SIZE),
      'accept-ranges': 'bytes',
      'access-control-allow-origin': '*',
      'access-control-expose-headers': `Content-Range, Accept-Ranges, Content-Length, ETag, ${RELEASE_HEADER}`,
    });
    // A manifest asset's validator is its content hash.
    expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]{64}"$/);
    expect(Date.parse(res.headers.get('last-modified') ?? '')).not.toBeNaN();
    expect((await get('/style.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await (await get('/img/a%20b.png')).text()).toBe('spaced');
    expect(await (await get('/img/a.png?v=2')).arrayBuffer()).toHaveProperty(
      'byteLength',
      IMAGE_SIZE,
    );
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const res = await fetch(origin.url('/img/a.png'), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(IMAGE_SIZE));
    expect(await res.text()).toBe('');
  });

  it('serves an empty file', async () => {
    const res = await get('/empty.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('0');
    expect(await res.text()).toBe('');
  });

  it('answers 304 to a matching If-None-Match or a later If-Modified-Since', async () => {
    const first = await get('/img/a.png');
    await first.arrayBuffer();
    const etag = first.headers.get('etag') ?? '';
    const lastModified = first.headers.get('last-modified') ?? '';
    const notModified: Record<string, string>[] = [
      { 'If-None-Match': etag },
      { 'If-None-Match': `"other", W/${etag}` },
      { 'If-None-Match': '*' },
      { 'If-Modified-Since': lastModified },
      { 'If-Modified-Since': new Date(Date.now() + 60_000).toUTCString() },
    ];
    for (const headers of notModified) {
      const res = await get('/img/a.png', headers);
      expect(res.status, JSON.stringify(headers)).toBe(304);
      expect(res.headers.get('etag')).toBe(etag);
      expect(await res.text()).toBe('');
    }
    const modified: Record<string, string>[] = [
      { 'If-None-Match': '"other"' },
      // If-None-Match wins over If-Modified-Since.
      { 'If-None-Match': '"other"', 'If-Modified-Since': lastModified },
      { 'If-Modified-Since': new Date(Date.parse(lastModified) - 1000).toUTCString() },
      { 'If-Modified-Since': 'not a date' },
    ];
    for (const headers of modified) {
      const res = await get('/img/a.png', headers);
      expect(res.status, JSON.stringify(headers)).toBe(200);
      await res.arrayBuffer();
    }
  });
});

describe('ranges', () => {
  async function range(header: string, extra: Record<string, string> = {}) {
    const res = await get('/img/a.png', { Range: header, ...extra });
    return {
      status: res.status,
      contentRange: res.headers.get('content-range'),
      length: res.headers.get('content-length'),
      body: Buffer.from(await res.arrayBuffer()),
    };
  }
  const slice = (start: number, end: number) => Buffer.from(IMAGE.subarray(start, end + 1));

  it.each([
    ['bytes=0-99', 0, 99],
    ['bytes=100-', 100, IMAGE_SIZE - 1],
    ['bytes=-50', IMAGE_SIZE - 50, IMAGE_SIZE - 1],
    ['bytes=199990-300000', 199_990, IMAGE_SIZE - 1],
    ['bytes=-999999', 0, IMAGE_SIZE - 1],
    ['BYTES = 5 - 5', 5, 5],
  ])('answers %s with 206', async (header, start, end) => {
    const res = await range(header);
    expect(res.status).toBe(206);
    expect(res.contentRange).toBe(`bytes ${start}-${end}/${IMAGE_SIZE}`);
    expect(res.length).toBe(String(end - start + 1));
    expect(res.body.equals(slice(start, end))).toBe(true);
  });

  it.each([`bytes=${IMAGE_SIZE}-`, 'bytes=999999-1000000', 'bytes=-0'])(
    'answers %s with 416 and the size',
    async (header) => {
      const res = await range(header);
      expect(res.status).toBe(416);
      expect(res.contentRange).toBe(`bytes */${IMAGE_SIZE}`);
      expect(res.body.length).toBe(0);
    },
  );

  it.each(['bytes=0-1,5-6', 'bytes=10-5', 'items=0-5', 'bytes=abc', 'bytes=-'])(
    'sends the whole body for %s',
    async (header) => {
      const res = await range(header);
      expect(res.status).toBe(200);
      expect(res.body.length).toBe(IMAGE_SIZE);
    },
  );

  it('treats any range of an empty file as unsatisfiable', async () => {
    const res = await get('/empty.js', { Range: 'bytes=0-' });
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe('bytes */0');
  });

  it('honors If-Range only while the representation is unchanged', async () => {
    const head = await fetch(origin.url('/img/a.png'), { method: 'HEAD' });
    const etag = head.headers.get('etag') ?? '';
    const lastModified = head.headers.get('last-modified') ?? '';
    expect((await range('bytes=0-9', { 'If-Range': etag })).status).toBe(206);
    expect((await range('bytes=0-9', { 'If-Range': lastModified })).status).toBe(206);
    expect((await range('bytes=0-9', { 'If-Range': '"stale"' })).status).toBe(200);
    expect((await range('bytes=0-9', { 'If-Range': `W/${etag}` })).status).toBe(200);
    expect((await range('bytes=0-9', { 'If-Range': 'Mon, 01 Jan 2001 00:00:00 GMT' })).status).toBe(
      200,
    );
  });

  it('ignores Range on HEAD', async () => {
    const res = await fetch(origin.url('/img/a.png'), {
      method: 'HEAD',
      headers: { Range: 'bytes=0-9' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(IMAGE_SIZE));
  });
});

describe('CORS', () => {
  it('answers a preflight for GET, HEAD and the Range header', async () => {
    const res = await fetch(origin.url('/img/a.png'), {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://elsewhere.example',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'range',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS');
    expect(res.headers.get('access-control-allow-headers')).toBe('Range, If-Range');
    expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThan(0);
  });

  it('puts CORS headers on ranges and errors too', async () => {
    const partial = await get('/img/a.png', { Range: 'bytes=0-0' });
    expect(partial.headers.get('access-control-allow-origin')).toBe('*');
    expect((await get('/missing.png')).headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('paths', () => {
  it.each([
    '/../outside/secret.txt',
    '/../../../../etc/passwd',
    '/img/../../outside/secret.txt',
    '/%2e%2e/outside/secret.txt',
    '/.%2E/.%2e/outside/secret.txt',
    '/..\\outside\\secret.txt',
  ])('keeps %s inside the site (dot segments resolve within it)', async (path) => {
    const res = await rawRequest(port, path);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('outside secret');
    expect(res.body).not.toContain('root:');
  });

  it.each([
    ['/..%2foutside%2fsecret.txt', 'encoded slash'],
    ['/%2e%2e%2foutside/secret.txt', 'encoded slash'],
    ['/img%2fa.png', 'encoded slash'],
    ['/index.html%00.png', 'NUL'],
    ['/%00', 'NUL'],
    ['/%E0%A4%A', 'percent-encoding'],
  ])('refuses %s with 400', async (path, reason) => {
    const res = await rawRequest(port, path);
    expect(res.status).toBe(400);
    expect(res.body).toContain(reason);
  });

  it('refuses a target that is not a path', async () => {
    expect((await rawRequest(port, 'http://127.0.0.1/index.html')).status).toBe(400);
  });

  it('refuses symlinks that leave the site', async () => {
    for (const path of ['/leak.txt', '/leakdir/secret.txt']) {
      const res = await rawRequest(port, path);
      expect(res.status, path).toBe(403);
      expect(res.body).not.toContain('outside secret');
    }
  });

  it('hides dot files but publishes .well-known', async () => {
    expect((await get('/.env')).status).toBe(404);
    expect((await get('/%2eenv')).status).toBe(404);
    expect(await (await get('/.well-known/security.txt')).text()).toBe('Contact: x');
  });

  it('serves a directory index, redirecting to the slash first', async () => {
    expect(await (await get('/')).text()).toContain('<title>home</title>');
    const redirect = await fetch(origin.url('/docs?x=1'), { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/docs/?x=1');
    expect(await (await get('/docs/')).text()).toContain('<p>docs</p>');
    // '//docs' must not redirect to '//docs/', which a browser reads as another host.
    expect((await rawRequest(port, '//docs')).headers.location).toBe('/docs/');
    expect((await get('/no-index/')).status).toBe(404);
  });

  it('says what was not found, escaped', async () => {
    const res = await get('/img/<b>nope.png');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await res.text()).toContain('/img/&lt;b&gt;nope.png was not found');
  });

  it('refuses other methods with 405', async () => {
    const res = await fetch(origin.url('/img/a.png'), { method: 'POST', body: 'x' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });
});

describe('peerconnect routes', () => {
  it('serves the service worker and agent bundles, uncached, with source maps', async () => {
    const sw = await get(PATHS.serviceWorker);
    expect(await sw.text()).toBe(FAKE_BUNDLES['peerconnect-sw.js']);
    expect(Object.fromEntries(sw.headers)).toMatchObject({
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'no-cache',
      'service-worker-allowed': '/',
    });
    expect(sw.headers.get('etag')).toBeTruthy();
    const agent = await get(PATHS.agent);
    expect(await agent.text()).toBe(FAKE_BUNDLES['agent.js']);
    expect(agent.headers.get('cache-control')).toBe('no-cache');
    expect(agent.headers.get('service-worker-allowed')).toBeNull();
    expect(await (await get(`${PATHS.serviceWorker}.map`)).text()).toBe('{"version":3}');
    expect((await get(`${PATHS.agent}.map`)).status).toBe(404);
    const revalidated = await get(PATHS.agent, {
      'If-None-Match': agent.headers.get('etag') ?? '',
    });
    expect(revalidated.status).toBe(304);
  });

  it('serves the root uncached with an ETag, and its shards immutable', async () => {
    const res = await get(PATHS.manifest);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const root = await parseManifestRoot(await res.json());
    expect(root.version).toBe(origin.server.manifestVersion);
    expect(res.headers.get('etag')).toBe(`"${root.version}"`);
    const shardRes = await get(shardUrlPath(root.shards[0]!.sha256));
    expect(shardRes.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(shardRes.headers.get(RELEASE_HEADER)).toBe(root.version);
    const shard = await parseManifestShard(new Uint8Array(await shardRes.arrayBuffer()), root, 0);
    expect(shard.assets.map((a) => a.path)).toEqual([
      '/empty.js',
      '/img/a%20b.png',
      '/img/a.png',
      '/no-index/x.css',
      '/style.css',
    ]);
    const again = await get(PATHS.manifest, { 'If-None-Match': res.headers.get('etag') ?? '' });
    expect(again.status).toBe(304);
    expect((await get(shardUrlPath('0'.repeat(64)))).status).toBe(404);
    expect((await get(`${PATHS.shards}nope.json`)).status).toBe(404);
  });

  it('names the release on every answer: pages, assets, bundles, errors', async () => {
    for (const path of ['/', '/img/a.png', PATHS.agent, '/missing.png', PATHS.healthz]) {
      const res = await get(path);
      expect(res.headers.get(RELEASE_HEADER), path).toBe(origin.server.manifestVersion);
    }
  });

  it('reports health', async () => {
    const res = await get(PATHS.healthz);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toEqual({
      ok: true,
      manifestVersion: origin.server.manifestVersion,
      uptime: expect.any(Number),
    });
    expect(body.uptime).toBeGreaterThan(0);
  });

  it('accepts the signaling WebSocket and tells plain requests it is one', async () => {
    const res = await get(PATHS.signal);
    expect(res.status).toBe(426);
    expect(res.headers.get('upgrade')).toBe('websocket');
    const ws = new WebSocket(origin.url(PATHS.signal).replace('http', 'ws'));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.terminate();
  });
});

describe('metrics', () => {
  it('serves prom-client text without process internals', async () => {
    const res = await get(PATHS.metrics);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain(`# TYPE ${ORIGIN_METRIC_NAMES.bytes} counter`);
    expect(text).not.toContain('process_cpu_user_seconds_total');
    expect(text).toContain('peerconnect_signal_connections');
  });

  it('counts exactly the asset body bytes written: full, ranges, HEAD, 304, 416', async () => {
    const etag =
      (await fetch(origin.url('/img/a.png'), { method: 'HEAD' })).headers.get('etag') ?? '';
    const delta = await origin.bytesDelta('asset', async () => {
      await (await get('/img/a.png')).arrayBuffer();
      await (await get('/img/a.png', { Range: 'bytes=100-199' })).arrayBuffer();
      await (await get('/img/a.png', { Range: 'bytes=-7' })).arrayBuffer();
      await (await get('/style.css?cache=bust')).arrayBuffer();
      await (await fetch(origin.url('/img/a.png'), { method: 'HEAD' })).arrayBuffer();
      await (await get('/img/a.png', { 'If-None-Match': etag })).arrayBuffer();
      await (await get('/img/a.png', { Range: 'bytes=999999-' })).arrayBuffer();
      await (await get('/data.json')).arrayBuffer(); // not an asset
    });
    expect(delta).toBe(IMAGE_SIZE + 100 + 7 + FILES['style.css'].length);
  });

  it('counts exactly the other body bytes: pages, non-assets, errors, bundles', async () => {
    let received = 0;
    const delta = await origin.bytesDelta('other', async () => {
      for (const path of ['/', '/data.json', '/missing.png', PATHS.agent, PATHS.healthz]) {
        received += (await (await get(path)).arrayBuffer()).byteLength;
      }
      received += (await (await get('/data.json', { Range: 'bytes=0-3' })).arrayBuffer())
        .byteLength;
    });
    expect(received).toBeGreaterThan(0);
    expect(delta).toBe(received);
  });

  it('counts requests by kind and status', async () => {
    // Counted when the response closes, which may land just after the client has read it.
    const requests = (kind: string, status: string) =>
      origin.metric(ORIGIN_METRIC_NAMES.requests, { kind, status });
    const partial = await requests('asset', '206');
    const notFound = await requests('other', '404');
    await (await get('/img/a.png', { Range: 'bytes=0-0' })).arrayBuffer();
    await (await get('/img/a.png', { Range: 'bytes=1-1' })).arrayBuffer();
    await (await get('/nope')).arrayBuffer();
    await expect.poll(() => requests('asset', '206')).toBe(partial + 2);
    await expect.poll(() => requests('other', '404')).toBe(notFound + 1);
  });
});
