import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import {
  censusFromGauges,
  createOriginMetrics,
  createOwnerContext,
  dashboardEntryPath,
  defaultBundleDir,
  type FirstVisitMode,
  handleOriginRequest,
  missingBundles,
  type OriginContext,
} from '../origin/index.js';
import { PATHS } from '../protocol/index.js';
import { attachSignaling } from '../signaling/index.js';
import {
  type BuildProgress,
  ensureSiteManifest,
  errorReason,
  manifestPathOf,
  resolveSiteRoot,
} from '../site/index.js';
import { ServerError } from './errors.js';

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';
/** On close, requests still running after this long are cut off. */
const CLOSE_GRACE_MS = 2000;
/** Signaling's gauges, which the dashboard reads for its live figures. */
const SIGNAL_GAUGES = {
  peersOnline: 'peerconnect_signal_connections',
  swarms: 'peerconnect_signal_swarms',
};

export interface ServeOptions {
  siteDir: string;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Add the agent's script tag to HTML pages (default true). */
  inject?: boolean;
  firstVisit?: FirstVisitMode;
  /** Directory of the browser bundles; defaults to the package's dist/browser. */
  bundleDir?: string;
  /** Where start-up notes and warnings go (default: stderr). */
  log?: (line: string) => void;
  /** Progress of a manifest build at start, when one is needed. */
  onManifestProgress?: (progress: BuildProgress) => void;
  /** Makes the metrics and the dashboard require this token (bearer or login cookie). */
  adminToken?: string;
  /** Origins besides the server's own whose pages may send stats beacons. */
  allowedOrigins?: readonly string[];
}

export interface RunningServer {
  /** The origin's base URL, e.g. http://127.0.0.1:8080/ */
  readonly url: string;
  readonly port: number;
  readonly manifestVersion: string;
  /** The dashboard; with an admin token, its one-time login link. */
  readonly dashboardUrl: string;
  /** Stops accepting, closes signaling, ends open connections; idempotent. */
  close(): Promise<void>;
}

function logToStderr(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Starts `peerconnect serve` in this process: the site's origin (static files, manifest,
 * bundles, metrics) and the signaling WebSocket, on one HTTP server. Builds the manifest first
 * if it is missing or stale. Throws SiteError or ServerError for a missing site or a port in use.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const log = options.log ?? logToStderr;
  const siteRoot = await resolveSiteRoot(options.siteDir);
  const manifest = await ensureSiteManifest(siteRoot, {
    log,
    onProgress: options.onManifestProgress,
  });
  const bundleDir = options.bundleDir ?? defaultBundleDir();
  const missing = await missingBundles(bundleDir);
  if (missing.length > 0) {
    log(
      `peerconnect: the browser bundles (${missing.join(', ')}) are missing from ${bundleDir}; ` +
        'run `npm run build`. Until then they are answered with 503.',
    );
  }
  const registry = new Registry();
  const owner = createOwnerContext({
    registry,
    manifest,
    log,
    census: censusFromGauges(registry, SIGNAL_GAUGES),
    adminToken: options.adminToken,
    allowedOrigins: options.allowedOrigins,
  });
  const ctx: OriginContext = {
    siteRoot,
    manifestPath: manifestPathOf(siteRoot),
    manifestVersion: manifest.version,
    assetPaths: new Set(manifest.assets.map((asset) => asset.path)),
    bundleDir,
    inject: options.inject ?? true,
    firstVisit: options.firstVisit ?? 'bootstrap',
    registry,
    metrics: createOriginMetrics(registry),
    owner: owner.owner,
    startedAt: performance.now(),
  };
  const server = createServer((req, res) => {
    handleOriginRequest(req, res, ctx).catch((err: unknown) => {
      log(`peerconnect: ${req.method} ${req.url} failed: ${errorReason(err)}`);
      if (res.headersSent) res.destroy();
      else res.writeHead(500).end();
    });
  });
  const signaling = attachSignaling(server, { path: PATHS.signal, registry });
  const host = options.host ?? DEFAULT_HOST;
  try {
    await listen(server, options.port ?? DEFAULT_PORT, host);
  } catch (err) {
    owner.close();
    await signaling.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  const url = originUrl(host, port);
  return {
    url,
    port,
    manifestVersion: manifest.version,
    dashboardUrl: new URL(dashboardEntryPath(owner.owner.auth), url).href,
    close() {
      owner.close();
      closing ??= signaling.close().then(() => closeServer(server));
      return closing;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new ServerError('port-in-use', `${host}:${port} (choose another with --port)`)
          : new ServerError('listen-failed', `${host}:${port}: ${errorReason(err)}`),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** A URL a browser can open: a wildcard address is reachable as localhost. */
function originUrl(host: string, port: number): string {
  const name = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `http://${name.includes(':') ? `[${name}]` : name}:${port}/`;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
