import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { get } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OUTPUT_DIR, PATHS } from '../protocol/index.js';
import { metricSum } from '../testing/index.js';

/** A real `peerconnect serve` child process on a free loopback port. */

const REPO_ROOT = resolve(import.meta.dirname, '..');
const CLI = join(REPO_ROOT, 'bin', 'peerconnect.js');
export const DEMO_DIR = join(REPO_ROOT, 'examples', 'demo');

/** It builds the manifest (hashes ~5 MB) before it listens. */
const START_TIMEOUT_MS = 30_000;
/** It closes sockets gracefully on SIGTERM; past this it gets SIGKILL. */
const STOP_TIMEOUT_MS = 5_000;
/** Keep only the tail of a chatty server's output. */
const MAX_LOG_CHARS = 200_000;
/**
 * The CLI prints `... at http(s)://127.0.0.1:PORT ...` once it listens; the trailing non-digit
 * keeps a port split across two output chunks from matching early.
 */
const LISTEN_URL = /(https?):\/\/127\.0\.0\.1:(\d+)\D/;

export interface ServerProcess {
  /** Origin without a trailing slash, e.g. `http://127.0.0.1:41234` (https with --tls-cert). */
  readonly url: string;
  /** The certificate a test client trusts for an https server (see startServerProcess). */
  readonly ca?: Buffer;
  /**
   * The site directory it serves (a private copy: tests may change or add files in it); empty
   * for a signal-only server.
   */
  readonly siteDir: string;
  readonly process: ChildProcess;
  /** Everything it printed so far, stdout and stderr interleaved. */
  log(): string;
  /** SIGTERM, then SIGKILL after STOP_TIMEOUT_MS. Safe to call twice. */
  stop(): Promise<void>;
  /** Same as `originAssetBytes(server)`. */
  originAssetBytes(): Promise<number>;
}

/**
 * A TCP port of 127.0.0.1 that was free a moment ago: for a server that must come back on the
 * same origin, or whose origin another server must know before it starts.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** A fresh temp copy of the demo site, without any stale `peerconnect build` output. */
export async function copyDemo(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'peerconnect-e2e-'));
  const staleOutput = join(DEMO_DIR, OUTPUT_DIR);
  await cp(DEMO_DIR, dir, { recursive: true, filter: (src) => src !== staleOutput });
  return dir;
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/**
 * Starts `peerconnect serve <siteDir>` on a free port of 127.0.0.1 and resolves once it
 * listens. `args` are extra `serve` options, e.g. ['--first-visit', 'off']; with --tls-cert,
 * `ca` is the certificate that the test's own requests (metrics) trust.
 */
export function startServerProcess(
  siteDir: string,
  args: readonly string[] = [],
  ca?: Buffer,
): Promise<ServerProcess> {
  return spawnServe(siteDir, [siteDir, ...args], ca);
}

/** `peerconnect serve --signal-only`: signaling (and beacons, metrics) without a site. */
export function startSignalOnlyProcess(args: readonly string[] = []): Promise<ServerProcess> {
  return spawnServe('', ['--signal-only', ...args]);
}

async function spawnServe(
  siteDir: string,
  serveArgs: readonly string[],
  ca?: Buffer,
): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    // No STUN server on loopback (nothing to traverse), so servers side by side never collide.
    [CLI, 'serve', '--port', '0', '--host', '127.0.0.1', '--stun-port', '0', ...serveArgs],
    { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-MAX_LOG_CHARS);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  try {
    const url = await new Promise<string>((done, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`no listening URL within ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      );
      const onData = () => {
        const [, scheme, port] = LISTEN_URL.exec(output) ?? [];
        if (port === undefined) return;
        clearTimeout(timer);
        child.stdout.off('data', onData);
        done(`${scheme}://127.0.0.1:${port}`);
      };
      child.stdout.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        fail(new Error(`exited before listening (code ${code}, signal ${signal})`));
      });
      child.once('error', fail);
    });
    const server: ServerProcess = {
      url,
      ...(ca && { ca }),
      siteDir,
      process: child,
      log: () => output,
      stop,
      originAssetBytes: () => originAssetBytes(server),
    };
    return server;
  } catch (err) {
    await stop();
    throw new Error(`peerconnect serve: ${(err as Error).message}\n--- output ---\n${output}`);
  }
}

async function fetchText(server: ServerProcess, path: string): Promise<string> {
  const url = new URL(path, server.url);
  if (url.protocol === 'https:') return httpsText(url, server.ca);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status}`);
  return response.text();
}

/** Node's fetch cannot be told to trust one certificate; node:https can. */
function httpsText(url: URL, ca: Buffer | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () =>
        res.statusCode === 200
          ? resolve(body)
          : reject(new Error(`GET ${url}: HTTP ${res.statusCode}`)),
      );
    }).on('error', reject);
  });
}

/** The sum of metric `name`'s samples with `labels`, from the server's metrics (see metricSum). */
export async function metricValue(
  server: ServerProcess,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): Promise<number> {
  const text = await fetchText(server, PATHS.metrics);
  return metricSum(text, name, labels);
}

/** Bytes of manifest assets the origin has sent so far (what peers could have sent instead). */
export function originAssetBytes(server: ServerProcess): Promise<number> {
  return metricValue(server, 'peerconnect_origin_bytes_total', { kind: 'asset' });
}
