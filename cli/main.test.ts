import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findPackageRoot } from '../origin/index.js';
import { makeTempSite, type TempSite } from '../testing/index.js';

// The real command as a child process: signals, exit codes and what a user sees.

const ROOT = findPackageRoot();
const ENTRY = [process.execPath, '--import', 'tsx', join(ROOT, 'cli', 'main.ts')] as const;
const URL_LINE = /serving .* at (http:\/\/\S+) /;

const sites: TempSite[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const site of sites.splice(0)) await site.cleanup();
});

async function site(files: Record<string, string>): Promise<TempSite> {
  const made = await makeTempSite(files);
  sites.push(made);
  return made;
}

interface Child {
  process: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/**
 * Root reads any file, so as root the command runs without the capabilities that bypass file
 * permissions (still root, so it can load the clone wherever it lives, even under a 0700 folder).
 */
const WITHOUT_DAC_OVERRIDE = [
  'setpriv',
  '--inh-caps=-dac_override,-dac_read_search',
  '--bounding-set=-dac_override,-dac_read_search',
  '--',
] as const;

function start(args: string[], options: { honourFileModes?: boolean } = {}): Child {
  const asRoot = process.getuid?.() === 0;
  const [command, ...rest] =
    options.honourFileModes && asRoot
      ? [...WITHOUT_DAC_OVERRIDE, ...ENTRY, ...args]
      : [...ENTRY, ...args];
  const child = spawn(command as string, rest, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk;
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk;
  });
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  return { process: child, stdout: () => out, stderr: () => err, exit };
}

async function servedUrl(child: Child): Promise<string> {
  for (;;) {
    const match = URL_LINE.exec(child.stdout());
    if (match?.[1]) return match[1];
    const exited = await Promise.race([
      child.exit.then(() => true),
      new Promise((resolve) => setTimeout(resolve, 50, false)),
    ]);
    if (exited) throw new Error(`serve exited: ${child.stderr()}`);
  }
}

describe('peerconnect (process)', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('serves until %s, then exits 0', async (signal) => {
    const s = await site({ 'index.html': '<p>hello</p>', 'a.js': 'a' });
    const child = start([
      'serve',
      s.dir,
      '--port',
      '0',
      '--stun-port',
      '0',
      '--first-visit',
      'off',
    ]);
    const url = await servedUrl(child);
    expect(await (await fetch(url)).text()).toContain('<p>hello</p>');
    child.process.kill(signal);
    expect(await child.exit).toBe(0);
    expect(child.stderr()).toContain(`${signal}: closing`);
  });

  it('says so when the port is taken, without a stack trace', async () => {
    const s = await site({ 'a.js': 'a' });
    const first = start(['serve', s.dir, '--port', '0', '--stun-port', '0']);
    const port = new URL(await servedUrl(first)).port;
    const second = start(['serve', s.dir, '--port', port, '--stun-port', '0']);
    expect(await second.exit).toBe(1);
    expect(second.stderr()).toContain(
      `peerconnect: the port is already in use: 127.0.0.1:${port} (choose another with --port)`,
    );
    expect(second.stderr()).not.toContain('    at ');
  });

  it('build exits 1 naming a file it may not read', async () => {
    const s = await site({ 'a.js': 'a', 'locked.png': 'x' });
    await chmod(join(s.dir, 'locked.png'), 0o000);
    const child = start(['build', s.dir], { honourFileModes: true });
    expect(await child.exit).toBe(1);
    expect(child.stderr()).toContain(
      'peerconnect: error: skipped locked.png: permission denied (EACCES)',
    );
    expect(child.stdout()).toContain('hashed 1 files');
  });
});
