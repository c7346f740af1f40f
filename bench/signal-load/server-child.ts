import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LOAD_LIMITS } from './constants.js';

/** A server under test in its own process, so its RSS and CPU are its own. */

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
/** Sources run through tsx, so the bench and its CI smoke need no build. */
export const TSX = ['--import', 'tsx'] as const;
const LISTEN_URL = /(https?:\/\/127\.0\.0\.1:\d+)\D/;
const MAX_LOG_CHARS = 100_000;
/** Kernel clock ticks per second for /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;

export interface ServerChild {
  /** Its origin, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  /** Every node's origin (one, or the Redis group's); clients spread over them. */
  readonly nodes: readonly string[];
  /** The Origin header its clients send (the swarm they join). */
  readonly origin: string;
  readonly pid: number;
  /** performance.now() when it printed its URL (its heartbeat timer starts about then). */
  readonly startedAt: number;
  /** VmRSS in bytes. */
  rss(): Promise<number>;
  /** The soft limit on its open files (RLIMIT_NOFILE). */
  fdLimit(): Promise<number>;
  /** User + system CPU time it has used, ms. */
  cpuMs(): Promise<number>;
  log(): string;
  stop(): Promise<void>;
}

/** `peerconnect serve --signal-only` from the sources, on a free port of 127.0.0.1. */
export function startPeerConnect(extra: readonly string[] = []): Promise<ServerChild> {
  return startServerChild([
    join(REPO_ROOT, 'cli', 'main.ts'),
    'serve',
    '--signal-only',
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--stun-port',
    '0',
    ...extra,
  ]);
}

/** The raw ws relay of baseline-server.ts: the floor PeerConnect is compared against. */
export function startBaseline(): Promise<ServerChild> {
  return startServerChild([join(import.meta.dirname, 'baseline-server.ts')]);
}

async function procField(pid: number, file: string, field: string): Promise<string> {
  const text = await readFile(`/proc/${pid}/${file}`, 'utf8');
  const line = text.split('\n').find((l) => l.startsWith(field));
  if (line === undefined) throw new Error(`no ${field} in /proc/${pid}/${file}`);
  return line.slice(field.length).trim();
}

async function startServerChild(args: readonly string[]): Promise<ServerChild> {
  const child = spawn(process.execPath, [...TSX, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-MAX_LOG_CHARS);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  // If the bench dies, the server must not outlive it.
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const stop = () => stopChild(child).finally(() => process.off('exit', kill));
  try {
    const url = await listeningUrl(child, () => output);
    const pid = child.pid ?? 0;
    return {
      url,
      nodes: [url],
      origin: url,
      pid,
      startedAt: performance.now(),
      rss: async () => Number.parseInt(await procField(pid, 'status', 'VmRSS:'), 10) * 1024,
      fdLimit: async () => Number.parseInt(await procField(pid, 'limits', 'Max open files'), 10),
      cpuMs: async () => {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
        // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const ticks = Number(fields[11]) + Number(fields[12]);
        return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
      },
      log: () => output,
      stop,
    };
  } catch (err) {
    await stop();
    throw new Error(`${args[0]}: ${(err as Error).message}\n--- output ---\n${output}`);
  }
}

function listeningUrl(child: ChildProcess, output: () => string): Promise<string> {
  return new Promise((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`no listening URL within ${LOAD_LIMITS.serverStartMs} ms`)),
      LOAD_LIMITS.serverStartMs,
    );
    const onData = () => {
      const url = LISTEN_URL.exec(output())?.[1];
      if (url === undefined) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      done(url);
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`exited before listening (code ${code}, signal ${signal})`));
    });
  });
}

/** SIGTERM, then SIGKILL after LOAD_LIMITS.stopMs. Safe to call twice. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), LOAD_LIMITS.stopMs);
  await exited;
  clearTimeout(timer);
}
