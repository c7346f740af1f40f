import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEADLINE_ENV, PROBE_PREFIX } from './probe-protocol.js';

/**
 * The server under fuzz: `peerconnect serve --signal-only` from the sources, in its own process
 * with a heap cap, an RSS cap and a deadline, so that a regression (a leak, a crash, a hang)
 * fails the run instead of taking the machine with it.
 */

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
const CLI_MAIN = resolve(REPO_ROOT, 'cli', 'main.ts');
const PROBE = resolve(import.meta.dirname, 'server-probe.ts');
/** tsx compiles the CLI on start: seconds on a busy two-core box. */
const START_TIMEOUT_MS = 30_000;
/** SIGTERM closes it gracefully (1001 to every client); past this it gets SIGKILL. */
const STOP_GRACE_MS = 5_000;
/** How often the RSS cap is checked. */
const RSS_CHECK_MS = 100;
/** Keep only the tail of what it prints. */
const MAX_LOG_CHARS = 20_000;
const LISTEN_URL = /serving signaling only at (http:\/\/127\.0\.0\.1:\d+)\//;
const KIB = 1024;
const MIB = KIB * KIB;
/** The probe line comes within a few ms of SIGUSR2 unless the server is stuck. */
const PROBE_TIMEOUT_MS = 5_000;

export interface ServerChildOptions {
  /** V8's old-space cap (--max-old-space-size). */
  readonly maxHeapMb: number;
  /** Killed once its RSS passes this (buffers and sockets live outside the V8 heap). */
  readonly maxRssMb: number;
  /** Killed once it has run this long. */
  readonly deadlineMs: number;
}

/** The server's own view of its event loop between two probes (server-probe.ts). */
export interface LoopProbe {
  readonly lagP50Ms: number;
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
  /** Share of the time the loop was busy (1 = a whole core, all the time). */
  readonly utilization: number;
  /** After the full GCs: V8's live heap, and memory held outside it (Buffers). */
  readonly heapUsedMb: number;
  readonly externalMb: number;
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux everywhere that matters). */
const CLOCK_TICKS_PER_SECOND = 100;
/** utime and stime: the 14th and 15th fields, 12th and 13th after the `(comm)` field. */
const STAT_UTIME_AFTER_COMM = 11;

export interface ServerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Why the fuzzer killed it, when it did: 'rss-cap', 'deadline' (else it died by itself). */
  readonly killedFor?: 'rss-cap' | 'deadline';
}

export interface ServerChild {
  /** e.g. http://127.0.0.1:41234 (no trailing slash): also the server's own origin. */
  readonly origin: string;
  readonly pid: number;
  /** Undefined while it runs; how it ended once it has. */
  exit(): ServerExit | undefined;
  readonly exited: Promise<ServerExit>;
  /** Its resident set now, from /proc (Linux), or undefined once it has gone. */
  rssBytes(): number | undefined;
  /** Highest RSS seen by the cap check. */
  readonly peakRssBytes: number;
  /** CPU seconds it has used (user + system), from /proc. */
  cpuSeconds(): number | undefined;
  /**
   * Asks for its event-loop probe, then full garbage collections (server-probe.ts); resolves
   * with the probe (undefined if none is printed in time).
   */
  probe(): Promise<LoopProbe | undefined>;
  log(): string;
  /** SIGTERM, then SIGKILL after STOP_GRACE_MS; safe to call twice. */
  stop(): Promise<ServerExit>;
}

export function readRss(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    return kib === undefined ? undefined : Number(kib) * KIB;
  } catch {
    return undefined;
  }
}

export function readCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[STAT_UTIME_AFTER_COMM]) + Number(fields[STAT_UTIME_AFTER_COMM + 1]);
    return ticks / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

export async function startServerChild(options: ServerChildOptions): Promise<ServerChild> {
  const child = spawn(
    process.execPath,
    [
      `--max-old-space-size=${options.maxHeapMb}`,
      '--expose-gc',
      '--import',
      'tsx',
      '--import',
      PROBE,
      CLI_MAIN,
      'serve',
      '--signal-only',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--stun-port',
      '0',
    ],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, [DEADLINE_ENV]: String(options.deadlineMs) },
    },
  );
  let log = '';
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-MAX_LOG_CHARS);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);

  let killedFor: ServerExit['killedFor'];
  let exit: ServerExit | undefined;
  const exited = new Promise<ServerExit>((done) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal, ...(killedFor && { killedFor }) };
      done(exit);
    });
  });
  const kill = (why: NonNullable<ServerExit['killedFor']>) => {
    killedFor ??= why;
    child.kill('SIGKILL');
  };
  const deadline = setTimeout(() => kill('deadline'), options.deadlineMs);
  let peakRssBytes = 0;
  const rssCheck = setInterval(() => {
    const rss = child.pid === undefined ? undefined : readRss(child.pid);
    if (rss === undefined) return;
    peakRssBytes = Math.max(peakRssBytes, rss);
    if (rss > options.maxRssMb * MIB) kill('rss-cap');
  }, RSS_CHECK_MS);
  void exited.then(() => {
    clearTimeout(deadline);
    clearInterval(rssCheck);
  });

  let origin: string;
  try {
    origin = await listeningOrigin(child, () => log, exited);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const pid = child.pid as number;
  let stopping: Promise<ServerExit> | undefined;
  return {
    origin,
    pid,
    exit: () => exit,
    exited,
    rssBytes: () => (exit ? undefined : readRss(pid)),
    get peakRssBytes() {
      return peakRssBytes;
    },
    cpuSeconds: () => (exit ? undefined : readCpuSeconds(pid)),
    probe: () => probe(child, () => exit !== undefined),
    log: () => log,
    stop: () => {
      stopping ??= stop(child, exited);
      return stopping;
    },
  };
}

function probe(child: ChildProcess, gone: () => boolean): Promise<LoopProbe | undefined> {
  if (gone()) return Promise.resolve(undefined);
  return new Promise((done) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const start = buffered.indexOf(PROBE_PREFIX);
      const end = buffered.indexOf('\n', start);
      if (start < 0 || end < 0) return;
      finish(JSON.parse(buffered.slice(start + PROBE_PREFIX.length, end)) as LoopProbe);
    };
    const finish = (result: LoopProbe | undefined) => {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      done(result);
    };
    const timer = setTimeout(() => finish(undefined), PROBE_TIMEOUT_MS);
    child.stderr?.on('data', onData);
    child.kill('SIGUSR2');
  });
}

function listeningOrigin(
  child: ChildProcess,
  log: () => string,
  exited: Promise<ServerExit>,
): Promise<string> {
  return new Promise((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`the server did not listen within ${START_TIMEOUT_MS} ms:\n${log()}`)),
      START_TIMEOUT_MS,
    );
    const onData = () => {
      const match = LISTEN_URL.exec(log());
      if (!match) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      done(match[1] as string);
    };
    child.stdout?.on('data', onData);
    void exited.then((e) => {
      clearTimeout(timer);
      fail(new Error(`the server exited (${e.code ?? e.signal}) before listening:\n${log()}`));
    });
  });
}

async function stop(child: ChildProcess, exited: Promise<ServerExit>): Promise<ServerExit> {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill('SIGTERM');
  const cut = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  const result = await exited;
  clearTimeout(cut);
  return result;
}
