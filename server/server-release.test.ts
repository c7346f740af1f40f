import { createHash } from 'node:crypto';
import { utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  PATHS,
  parseManifestRoot,
  parseManifestShard,
  parseServerMessage,
  RELEASE_HEADER,
  SIGNALING_PROTOCOL,
  shardUrlPath,
} from '../protocol/index.js';
import { startTestOrigin, type TestOrigin } from '../testing/index.js';
import { startServer } from './server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function origin(...args: Parameters<typeof startTestOrigin>): Promise<TestOrigin> {
  const started = await startTestOrigin(...args);
  cleanups.push(() => started.close());
  return started;
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The asset record the origin publishes now for `path`, read as a worker would. */
async function listed(o: TestOrigin, path: string) {
  const root = await parseManifestRoot(await (await fetch(o.url(PATHS.manifest))).json());
  for (const [index, { sha256: hash }] of root.shards.entries()) {
    const bytes = new Uint8Array(await (await fetch(o.url(shardUrlPath(hash)))).arrayBuffer());
    const asset = (await parseManifestShard(bytes, root, index)).assets.find(
      (a) => a.path === path,
    );
    if (asset) return { root, asset };
  }
  throw new Error(`${path} is not listed`);
}

const PAGE = '<!doctype html><html><head><title>t</title></head><body></body></html>';

describe('live releases', () => {
  it('a same-size edit while serving: a new hash is listed and bytes never disagree with it', async () => {
    const o = await origin({ 'css/site.css': 'body{color:red}', 'index.html': PAGE });
    const before = await listed(o, '/css/site.css');
    // Same size, and the mtime put back: only the content tells.
    await o.site.write('css/site.css', 'body{color:tan}');
    await utimes(join(o.site.dir, 'css/site.css'), new Date(0), new Date(0));
    // Until the rebuild lands, the old release must not serve the new bytes under the old hash.
    const during = await fetch(o.url('/css/site.css'));
    if (during.status === 200) {
      const body = new Uint8Array(await during.arrayBuffer());
      expect(sha(body)).toBe(during.headers.get('etag')?.slice(1, -1));
      expect(during.headers.get(RELEASE_HEADER)).not.toBe(before.root.version);
    } else {
      expect(during.status).toBe(503);
      expect(during.headers.get('retry-after')).not.toBeNull();
    }
    await o.server.releaseSettled();
    const after = await listed(o, '/css/site.css');
    expect(after.root.version).not.toBe(before.root.version);
    expect(after.asset.sha256).toBe(sha(Buffer.from('body{color:tan}')));
    const res = await fetch(o.url('/css/site.css'));
    expect(await res.text()).toBe('body{color:tan}');
    expect(res.headers.get('etag')).toBe(`"${after.asset.sha256}"`);
    expect(res.headers.get(RELEASE_HEADER)).toBe(after.root.version);
    // The previous release's shard is still served to a tab that holds the old root.
    expect((await fetch(o.url(shardUrlPath(before.root.shards[0]!.sha256)))).status).toBe(200);
  });

  it('picks up a new file while serving', async () => {
    const o = await origin({ 'a.js': 'a', 'index.html': PAGE });
    const version = o.server.manifestVersion;
    await o.site.write('img/new.png', 'png!');
    await waitFor(() => o.server.manifestVersion !== version);
    await o.server.releaseSettled();
    expect((await listed(o, '/img/new.png')).asset.size).toBe(4);
    expect(o.logs.join('\n')).toMatch(/now serving release [0-9a-f]{12} \(2 assets\)/);
  });

  it('rebuilds after a failed chunk check even without a watcher', async () => {
    const o = await origin({ 'a.js': 'aaaa' }, { watch: false });
    const version = o.server.manifestVersion;
    await o.site.write('a.js', 'bbbb');
    expect((await fetch(o.url('/a.js'))).status).toBe(503);
    await o.server.releaseSettled();
    expect(o.server.manifestVersion).not.toBe(version);
    expect(await (await fetch(o.url('/a.js'))).text()).toBe('bbbb');
    expect(o.logs.join('\n')).toContain('/a.js no longer matches the manifest');
  });
});

describe('serve --disable', () => {
  it('publishes a disabled root and serves pages without the agent or the bootstrap', async () => {
    const o = await origin({ 'a.js': 'a', 'index.html': PAGE }, { disable: true });
    const root = await parseManifestRoot(await (await fetch(o.url(PATHS.manifest))).json());
    expect(root.disabled).toBe(true);
    expect(root.version).toBe(o.server.manifestVersion);
    const navigation = {
      'Sec-Fetch-Mode': 'navigate',
      'Sec-Fetch-Dest': 'document',
      Accept: 'text/html',
    };
    const page = await fetch(o.url('/'), { headers: navigation });
    expect(await page.text()).toBe(PAGE);
    expect(page.headers.get(RELEASE_HEADER)).toBe(root.version);
    // An updated worker must stay fetchable: it is what unregisters itself.
    expect((await fetch(o.url(PATHS.serviceWorker))).status).toBe(200);
    expect((await fetch(o.url(PATHS.agent))).status).toBe(200);
    expect(await (await fetch(o.url('/a.js'))).text()).toBe('a');
  });

  it('differs in version from the same site enabled', async () => {
    const files = { 'a.js': 'a' };
    const on = await origin(files);
    const off = await origin(files, { disable: true });
    expect(off.server.manifestVersion).not.toBe(on.server.manifestVersion);
  });
});

describe('serve --signal-only', () => {
  it('starts without a site and answers signaling upgrades, healthz and metrics', async () => {
    const logs: string[] = [];
    const server = await startServer({
      port: 0,
      log: (line) => logs.push(line),
      allowedOrigins: ['https://site.example'],
    });
    cleanups.push(() => server.close());
    expect(server.manifestVersion).toBeUndefined();
    const ws = new WebSocket(new URL(PATHS.signal, server.url).href.replace(/^http/, 'ws'), {
      headers: { origin: 'https://site.example' },
    });
    cleanups.push(async () => ws.terminate());
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ t: 'join', protocol: SIGNALING_PROTOCOL }));
    const data = await new Promise((resolve) => ws.once('message', resolve));
    expect(parseServerMessage(String(data)).t).toBe('welcome');
    const health = await fetch(new URL(PATHS.healthz, server.url));
    expect(await health.json()).toMatchObject({ ok: true, manifestVersion: null });
    expect(health.headers.get(RELEASE_HEADER)).toBeNull();
    expect((await fetch(new URL(PATHS.metrics, server.url))).status).toBe(200);
    expect((await fetch(new URL('/index.html', server.url))).status).toBe(404);
    expect((await fetch(new URL(PATHS.manifest, server.url))).status).toBe(404);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
