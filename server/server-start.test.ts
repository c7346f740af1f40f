import { rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultBundleDir, findPackageRoot } from '../origin/index.js';
import { PATHS } from '../protocol/index.js';
import { manifestPathOf } from '../site/index.js';
import { makeTempSite, startTestOrigin, type TempSite, type TestOrigin } from '../testing/index.js';
import { ServerError } from './errors.js';
import { type RunningServer, startServer } from './server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function origin(...args: Parameters<typeof startTestOrigin>): Promise<TestOrigin> {
  const started = await startTestOrigin(...args);
  cleanups.push(() => started.close());
  return started;
}

async function site(files: Record<string, string>): Promise<TempSite> {
  const made = await makeTempSite(files);
  cleanups.push(() => made.cleanup());
  return made;
}

async function serve(siteDir: string, logs: string[] = []): Promise<RunningServer> {
  const server = await startServer({
    siteDir,
    port: 0,
    bundleDir: siteDir,
    log: (l) => logs.push(l),
  });
  cleanups.push(() => server.close());
  return server;
}

describe('startServer', () => {
  it('builds the release at start, and a restart on the same content rewrites nothing', async () => {
    const s = await site({ 'a.js': 'a' });
    const first = await serve(s.dir);
    const built = await stat(manifestPathOf(s.dir));
    await first.close();
    const second = await serve(s.dir);
    expect(second.manifestVersion).toBe(first.manifestVersion);
    expect((await stat(manifestPathOf(s.dir))).mtimeMs).toBe(built.mtimeMs);
  });

  it.each([
    ['an asset is added', (s: TempSite) => s.write('b.css', 'b')],
    ['an asset is removed', (s: TempSite) => rm(join(s.dir, 'c.png'))],
    ['an asset is renamed', (s: TempSite) => rename(join(s.dir, 'c.png'), join(s.dir, 'd.png'))],
    [
      'an asset is edited to the same size with an older mtime (content, not size and mtime)',
      async (s: TempSite) => {
        await s.write('a.js', 'b');
        await utimes(join(s.dir, 'a.js'), new Date(0), new Date(0));
      },
    ],
    ['the manifest is invalid', (s: TempSite) => writeFile(manifestPathOf(s.dir), '{"format":1}')],
  ])('serves a new release when %s while stopped', async (name, change) => {
    const s = await site({ 'a.js': 'a', 'c.png': 'c' });
    const first = await serve(s.dir);
    const before = first.manifestVersion;
    await first.close();
    await change(s);
    const server = await serve(s.dir);
    const root = await (await fetch(new URL(PATHS.manifest, server.url))).json();
    expect(root.version).toBe(server.manifestVersion);
    if (name !== 'the manifest is invalid') expect(server.manifestVersion).not.toBe(before);
  });

  it('keeps the release when only non-asset files change', async () => {
    const s = await site({ 'a.js': 'a', 'index.html': '<p>' });
    const first = await serve(s.dir);
    await first.close();
    await s.write('index.html', '<p>changed');
    await s.write('notes.txt', 'new');
    const logs: string[] = [];
    expect((await serve(s.dir, logs)).manifestVersion).toBe(first.manifestVersion);
    expect(logs).toEqual([expect.stringContaining('bundles')]);
  });

  it('serves an HTML-only site with an empty release', async () => {
    const started = await origin({ 'index.html': '<p>hi</p>' });
    const root = await (await fetch(started.url(PATHS.manifest))).json();
    expect(root.assetCount).toBe(0);
    expect(root.shards).toHaveLength(1);
  });

  it('says at start that the bundles are missing, and answers 503 for them', async () => {
    const started = await origin({ 'a.js': 'a' }, { withBundles: false });
    expect(started.logs.join('\n')).toMatch(
      /bundles \(peerconnect-sw\.js, agent\.js\) are missing from .*run `npm run build`/,
    );
    for (const path of [PATHS.serviceWorker, PATHS.agent]) {
      const res = await fetch(started.url(path));
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('run npm run build');
    }
  });

  it('fails clearly when the port is taken', async () => {
    const started = await origin({ 'a.js': 'a' });
    const taken = startServer({
      siteDir: started.site.dir,
      port: started.server.port,
      bundleDir: started.bundleDir,
      log: () => {},
    });
    await expect(taken).rejects.toSatisfy(
      (err) =>
        ServerError.is(err, 'port-in-use') &&
        String(err).includes(`127.0.0.1:${started.server.port}`),
    );
  });

  it('closes open keep-alive connections and is idempotent', async () => {
    const s = await site({ 'a.js': 'a' });
    const server = await serve(s.dir);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    await (await fetch(server.url)).text();
    await Promise.all([server.close(), server.close()]);
    await expect(fetch(server.url)).rejects.toThrow();
  });

  it('finds the bundles in the package dist/browser by default', () => {
    expect(defaultBundleDir()).toBe(join(findPackageRoot(), 'dist', 'browser'));
  });
});
