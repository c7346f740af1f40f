import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CHUNK_SIZE,
  type ManifestAsset,
  parseManifestRoot,
  parseManifestShard,
} from '../protocol/index.js';
import { makeTempSite, patternBytes, type TempSite } from '../testing/index.js';
import { SiteError } from './errors.js';
import { type BuildProgress, type BuildResult, buildManifest } from './manifest-builder.js';
import { manifestPathOf, shardsDirOf } from './manifest-writer.js';

const sites: TempSite[] = [];
afterEach(async () => {
  for (const site of sites.splice(0)) await site.cleanup();
});

async function site(files: Record<string, string | Uint8Array> = {}): Promise<TempSite> {
  const made = await makeTempSite(files);
  sites.push(made);
  return made;
}

/** A build's assets, sorted by path. */
function assetsOf({ release }: BuildResult): ManifestAsset[] {
  return [...release.assets.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** The expected hashes, computed another way: the whole buffer at once, sliced by hand. */
function expectedHashes(bytes: Uint8Array): { sha256: string; chunks: string[] } {
  const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
  const chunks: string[] = [];
  for (let i = 0; i * CHUNK_SIZE < bytes.length; i++) {
    chunks.push(sha(bytes.slice(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE)));
  }
  return { sha256: sha(bytes), chunks };
}

describe('buildManifest', () => {
  it('hashes every asset whole and per chunk, at every size boundary', async () => {
    // Sizes around the chunk size and around the 1 MiB read buffer.
    const sizes = [
      0,
      1,
      CHUNK_SIZE - 1,
      CHUNK_SIZE,
      CHUNK_SIZE + 1,
      16 * CHUNK_SIZE + 7,
      2.5 * 2 ** 20,
    ];
    const files = Object.fromEntries(
      sizes.map((size, i) => [`data/f${i}.bin.js`, patternBytes(size, i + 1)]),
    );
    const s = await site(files);
    const built = await buildManifest(s.dir);
    const { files: count, bytes } = built;
    expect(count).toBe(sizes.length);
    expect(bytes).toBe(sizes.reduce((a, b) => a + b, 0));
    sizes.forEach((size, i) => {
      const asset = assetsOf(built).find((a) => a.path === `/data/f${i}.bin.js`);
      expect(asset, `f${i}`).toBeDefined();
      expect(asset?.size).toBe(size);
      expect({ sha256: asset?.sha256, chunks: asset?.chunks }).toEqual(
        expectedHashes(files[`data/f${i}.bin.js`] as Uint8Array),
      );
    });
  });

  it('agrees with sha256sum on a file', async () => {
    const s = await site({ 'a.png': patternBytes(200_000) });
    const built = await buildManifest(s.dir);
    const external = execFileSync('sha256sum', [join(s.dir, 'a.png')], { encoding: 'utf8' });
    expect(assetsOf(built)[0]?.sha256).toBe(external.split(' ')[0]);
  });

  it('writes a root and shards the protocol validators accept', async () => {
    const s = await site({ 'b.css': 'b{}', 'a.js': 'a()', 'img/c.svg': '<svg/>' });
    const built = await buildManifest(s.dir);
    expect(built.manifestPath).toBe(manifestPathOf(s.dir));
    const onDisk = JSON.parse(await readFile(built.manifestPath, 'utf8'));
    const root = await parseManifestRoot(onDisk);
    expect(root).toEqual(built.release.root);
    expect(root.chunkSize).toBe(CHUNK_SIZE);
    expect(root.shards).toHaveLength(1);
    const shardBytes = await readFile(join(shardsDirOf(s.dir), `${root.shards[0]?.sha256}.json`));
    const shard = await parseManifestShard(new Uint8Array(shardBytes), root, 0);
    expect(shard.assets).toEqual(assetsOf(built));
    expect(assetsOf(built).map((a) => a.path)).toEqual(['/a.js', '/b.css', '/img/c.svg']);
    expect(assetsOf(built).map((a) => a.type)).toEqual([
      'text/javascript; charset=utf-8',
      'text/css; charset=utf-8',
      'image/svg+xml',
    ]);
    // Atomic writes: no temp file is left beside them.
    expect((await readdir(join(s.dir, 'peerconnect'))).sort()).toEqual([
      'manifest.json',
      'releases.json',
      'shards',
    ]);
    expect(await readdir(shardsDirOf(s.dir))).toEqual([`${root.shards[0]?.sha256}.json`]);
  });

  it('gives the same version for the same content, another for a change', async () => {
    const s = await site({ 'a.js': '1' });
    const first = await buildManifest(s.dir);
    const version = first.release.root.version;
    expect((await buildManifest(s.dir)).release.root.version).toBe(version);
    await s.write('a.js', '2');
    expect((await buildManifest(s.dir)).release.root.version).not.toBe(version);
  });

  it('takes only static assets: no HTML, hidden files or the output directory', async () => {
    const s = await site({
      'index.html': '<p>',
      'page.htm': '<p>',
      'notes.txt': 'x',
      'data.json': '{}',
      '.hidden.png': 'x',
      '.git/objects/x.js': 'x',
      'sub/.cache/y.css': 'x',
      'peerconnect/old.js': 'x',
      'deep/peerconnect/kept.js': 'x',
      'Upper.PNG': 'x',
      'font.woff2': 'x',
      'clip.mp4': 'x',
      'mod.wasm': 'x',
    });
    const built = await buildManifest(s.dir);
    expect(assetsOf(built).map((a) => a.path)).toEqual([
      '/Upper.PNG',
      '/clip.mp4',
      '/deep/peerconnect/kept.js',
      '/font.woff2',
      '/mod.wasm',
    ]);
  });

  it('leaves out what --exclude names: the origin alone serves private files', async () => {
    const s = await site({
      'account/avatar.png': 'a',
      'account/deep/bill.css': 'b',
      'gallery/me.private.jpg': 'c',
      'gallery/sea.jpg': 'd',
    });
    const built = await buildManifest(s.dir, { exclude: ['account/**', '*.private.jpg'] });
    expect(assetsOf(built).map((a) => a.path)).toEqual(['/gallery/sea.jpg']);
    expect(built.skipped).toEqual([]);
  });

  it('writes URL paths as a browser requests them', async () => {
    const s = await site({ 'a b/100%.png': 'x', 'é.css': 'x', 'q?#.js': 'x' });
    const built = await buildManifest(s.dir);
    expect(
      assetsOf(built)
        .map((a) => a.path)
        .sort(),
    ).toEqual(['/%C3%A9.css', '/a%20b/100%25.png', '/q%3F%23.js'].sort());
  });

  it('follows symlinks inside the site and refuses those that leave it', async () => {
    const s = await site({ 'real/a.png': 'inside' });
    await s.write('../outside/secret.png', 'outside');
    await symlink(join(s.dir, 'real/a.png'), join(s.dir, 'alias.png'));
    await symlink(join(s.dir, 'real'), join(s.dir, 'linked-dir'));
    await symlink(join(s.outside, 'secret.png'), join(s.dir, 'escape.png'));
    await symlink(s.outside, join(s.dir, 'escape-dir'));
    await symlink(s.dir, join(s.dir, 'real/loop')); // a directory loop must not hang the scan
    const built = await buildManifest(s.dir);
    const { skipped } = built;
    expect(assetsOf(built).map((a) => a.path)).toEqual([
      '/alias.png',
      '/linked-dir/a.png',
      '/real/a.png',
    ]);
    expect(skipped.map((x) => [x.relativePath, x.reason])).toEqual([
      ['escape-dir', 'symlink-outside'],
      ['escape.png', 'symlink-outside'],
    ]);
    expect(skipped[1]?.detail).toContain(join(s.outside, 'secret.png'));
  });

  it('skips an unreadable file (a dangling symlink), names it and keeps the rest', async () => {
    const s = await site({ 'ok.js': 'ok' });
    await symlink(join(s.dir, 'gone.png'), join(s.dir, 'broken.png'));
    const built = await buildManifest(s.dir);
    const { skipped } = built;
    expect(assetsOf(built).map((a) => a.path)).toEqual(['/ok.js']);
    expect(skipped).toEqual([
      {
        relativePath: 'broken.png',
        reason: 'unreadable',
        detail: 'broken symlink: no such file or directory (ENOENT)',
      },
    ]);
  });

  it('skips an asset name that is not a regular file (a FIFO would block a read)', async () => {
    const s = await site({ 'ok.js': 'ok' });
    execFileSync('mkfifo', [join(s.dir, 'pipe.mp4')]);
    const built = await buildManifest(s.dir);
    const { skipped } = built;
    expect(assetsOf(built)).toHaveLength(1);
    expect(skipped.map((x) => [x.relativePath, x.reason])).toEqual([['pipe.mp4', 'not-a-file']]);
  });

  // A file without read permission: see main.test.ts, which runs the build as another user
  // when the tests run as root (root reads a chmod 000 file anyway).

  it('fails clearly for an empty site, a missing one and a file', async () => {
    const s = await site();
    await expect(buildManifest(s.dir)).rejects.toSatisfy(
      (err) => SiteError.is(err, 'no-assets') && String(err).includes(s.dir),
    );
    await s.write('only.html', '<p>');
    await expect(buildManifest(s.dir)).rejects.toSatisfy((err) => SiteError.is(err, 'no-assets'));
    await expect(buildManifest(join(s.dir, 'nope'))).rejects.toSatisfy((err) =>
      SiteError.is(err, 'site-missing'),
    );
    await expect(buildManifest(join(s.dir, 'only.html'))).rejects.toSatisfy((err) =>
      SiteError.is(err, 'site-not-directory'),
    );
  });

  it('writes an empty manifest when asked to (serve of an HTML-only site)', async () => {
    const s = await site({ 'index.html': '<p>' });
    const built = await buildManifest(s.dir, { allowEmpty: true });
    expect(assetsOf(built)).toEqual([]);
    await expect(parseManifestRoot(built.release.root)).resolves.toBeDefined();
  });

  it('reports progress up to the totals', async () => {
    const s = await site({ 'a.js': patternBytes(3 * 2 ** 20), 'b.css': 'b' });
    const seen: BuildProgress[] = [];
    await buildManifest(s.dir, { onProgress: (p) => seen.push({ ...p }) });
    expect(seen.at(-1)).toEqual({
      filesDone: 2,
      filesTotal: 2,
      bytesDone: 3 * 2 ** 20 + 1,
      bytesTotal: 3 * 2 ** 20 + 1,
    });
    // Byte progress arrives during a big file, not only after it.
    expect(seen.some((p) => p.filesDone < 2 && p.bytesDone > 1 && p.bytesDone < 3 * 2 ** 20)).toBe(
      true,
    );
  });

  it('records the size actually hashed, and a newer mtime does not change the content', async () => {
    const s = await site({ 'a.js': 'abc' });
    await utimes(join(s.dir, 'a.js'), new Date(), new Date(Date.now() + 10_000));
    const built = await buildManifest(s.dir);
    expect(assetsOf(built)[0]?.size).toBe(3);
  });
});

describe('shard retention', () => {
  const shardFiles = async (s: TempSite) => (await readdir(shardsDirOf(s.dir))).sort();
  const shardFileOf = (built: BuildResult) => `${built.release.root.shards[0]?.sha256}.json`;

  it('keeps the shards of the current and previous two releases and removes older ones', async () => {
    const s = await site({ 'a.js': '1', 'b.css': 'b' });
    const builds: BuildResult[] = [];
    for (const content of ['1', '2', '3', '4']) {
      await s.write('a.js', content);
      builds.push(await buildManifest(s.dir));
    }
    expect(await shardFiles(s)).toEqual(builds.slice(1).map(shardFileOf).sort());
    // Rebuilding the same content is not a new release: nothing more is pruned.
    await buildManifest(s.dir);
    expect(await shardFiles(s)).toHaveLength(3);
  });

  it('prunes nothing when the release log is damaged (what old tabs need is unknown)', async () => {
    const s = await site({ 'a.js': '1' });
    const first = await buildManifest(s.dir);
    await s.write('a.js', '2');
    const second = await buildManifest(s.dir);
    await s.write('peerconnect/releases.json', '[{"version":"nope"}]');
    await s.write('a.js', '3');
    const third = await buildManifest(s.dir);
    expect(await shardFiles(s)).toEqual(
      expect.arrayContaining([first, second, third].map(shardFileOf)),
    );
  });

  it('spreads a large site over shards the root names, each listing its own paths', async () => {
    const files = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`i/${i}.js`, `${i}`]));
    const s = await site(files);
    const built = await buildManifest(s.dir);
    const { root } = built.release;
    expect(root.shards.length).toBeGreaterThan(2);
    expect(root.assetCount).toBe(2000);
    let listed = 0;
    for (const [index, { sha256: sha }] of root.shards.entries()) {
      const bytes = await readFile(join(shardsDirOf(s.dir), `${sha}.json`));
      listed += (await parseManifestShard(new Uint8Array(bytes), root, index)).assets.length;
    }
    expect(listed).toBe(2000);
  });
});
