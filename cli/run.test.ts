import { readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findPackageRoot } from '../origin/index.js';
import { parseManifestRoot } from '../protocol/index.js';
import { manifestPathOf } from '../site/index.js';
import { makeTempSite, type TempSite } from '../testing/index.js';
import { runCli } from './run.js';
import { USAGE } from './usage.js';

const sites: TempSite[] = [];
afterEach(async () => {
  for (const site of sites.splice(0)) await site.cleanup();
});

async function site(files: Record<string, string> = {}): Promise<TempSite> {
  const made = await makeTempSite(files);
  sites.push(made);
  return made;
}

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text) },
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('runCli', () => {
  it('builds a manifest and prints a summary', async () => {
    const s = await site({ 'a.js': 'a', 'b.css': 'bb' });
    const result = await run(['build', s.dir]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(
      /^peerconnect: hashed 2 files \(3 B\) in \d+ ms into .*manifest\.json and 1 shard\(s\) \(version [0-9a-f]{12}\)\n$/,
    );
    const root = await parseManifestRoot(JSON.parse(await readFile(manifestPathOf(s.dir), 'utf8')));
    expect(root.assetCount).toBe(2);
  });

  it('exits 1 naming an unreadable file, yet writes the manifest of the rest', async () => {
    const s = await site({ 'a.js': 'a' });
    await symlink(join(s.dir, 'missing.png'), join(s.dir, 'broken.png'));
    const result = await run(['build', s.dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('peerconnect: error: skipped broken.png: broken symlink');
    expect(result.stderr).toContain('1 file(s) could not be read');
    expect(result.stdout).toContain('hashed 1 files');
  });

  it('warns about a symlink out of the site but exits 0', async () => {
    const s = await site({ 'a.js': 'a' });
    await symlink(s.outside, join(s.dir, 'out'));
    const result = await run(['build', s.dir]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      `peerconnect: warning: skipped out: symlink points outside the site, to ${s.outside}\n`,
    );
  });

  it('exits 1 with one clear line for a missing or empty site', async () => {
    const s = await site();
    const missing = await run(['build', join(s.dir, 'nope')]);
    expect(missing).toEqual({
      code: 1,
      stdout: '',
      stderr: `peerconnect: the site directory does not exist: ${join(s.dir, 'nope')}\n`,
    });
    const empty = await run(['build', s.dir]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/^peerconnect: no static assets found: .* has no images/);
    expect(empty.stderr).not.toContain('    at ');
  });

  it('exits 2 with the usage for unknown commands and flags', async () => {
    for (const argv of [['frobnicate'], ['build', '--fast', 'x'], []]) {
      const result = await run(argv);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^peerconnect: invalid usage: /);
      expect(result.stderr).toContain(USAGE);
    }
  });

  it('prints help and the package version', async () => {
    expect(await run(['--help'])).toEqual({ code: 0, stdout: USAGE, stderr: '' });
    const pkg = JSON.parse(await readFile(join(findPackageRoot(), 'package.json'), 'utf8'));
    expect(await run(['--version'])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('fails serve on a missing site before listening', async () => {
    const s = await site();
    const result = await run(['serve', join(s.dir, 'nope'), '--port', '0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the site directory does not exist');
  });

  it('fails serve with usage on an unreadable --ice-servers file, before building anything', async () => {
    const s = await site({ 'a.js': 'a' });
    const missing = join(s.outside, 'ice.json');
    const result = await run(['serve', s.dir, '--port', '0', '--ice-servers', missing]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`peerconnect: invalid usage: --ice-servers: '${missing}'`);
    await expect(readFile(manifestPathOf(s.dir))).rejects.toThrow();
  });

  it('fails serve with exit 1 and one clear line on an unreadable or invalid PEM file', async () => {
    const s = await site({ 'a.js': 'a' });
    const key = join(s.outside, 'key.pem');
    const missing = await run(['serve', s.dir, '--port', '0', '--tls-cert', key, '--tls-key', key]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('a TLS certificate or key file cannot be read');
    expect(missing.stderr).toContain(key);
    await writeFile(key, 'not PEM');
    const invalid = await run(['serve', s.dir, '--port', '0', '--tls-cert', key, '--tls-key', key]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('the TLS certificate or key is not valid PEM');
    expect(invalid.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});
