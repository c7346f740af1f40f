import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { errorReason } from '../cli/error-reason.js';
import { CliError } from '../cli/errors.js';
import type { BuildProgress } from '../cli/manifest-builder.js';
import { manifestPathOf } from '../cli/manifest-builder.js';
import { resolveSiteRoot } from '../cli/site-root.js';
import { PATHS } from '../protocol/index.js';
import { defaultBundleDir, missingBundles } from './bundles.js';
import { ALLOWED_METHODS, CORS_HEADERS, sendPreflight } from './cors.js';
import { type Exchange, sendError } from './exchange.js';
import type { FirstVisitMode } from './first-visit.js';
import type { OriginContext } from './origin-context.js';
import { createOriginMetrics } from './origin-metrics.js';
import { ROUTES } from './origin-routes.js';
import { parseRequestTarget } from './request-target.js';
import { attachSignaling } from './signal-server.js';
import { ensureSiteManifest } from './site-manifest.js';

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';
/** On close, requests still running after this long are cut off. */
const CLOSE_GRACE_MS = 2000;

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
}

export interface RunningServer {
  /** The origin's base URL, e.g. http://127.0.0.1:8080/ */
  readonly url: string;
  readonly port: number;
  readonly manifestVersion: string;
  /** Stops accepting, closes signaling, ends open connections; idempotent. */
  close(): Promise<void>;
}

function logToStderr(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Starts `peerconnect serve` in this process: the site's origin (static files, manifest,
 * bundles, metrics) and the signaling WebSocket, on one HTTP server. Builds the manifest first
 * if it is missing or stale. Throws CliError for a missing site or a port in use.
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
    startedAt: performance.now(),
  };
  const server = createServer((req, res) => {
    handleRequest(req, res, ctx).catch((err: unknown) => {
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
    await signaling.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: originUrl(host, port),
    port,
    manifestVersion: manifest.version,
    close() {
      closing ??= signaling.close().then(() => closeServer(server));
      return closing;
    },
  };
}

async function handleRequest(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: OriginContext,
): Promise<void> {
  for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value);
  const parsed = parseRequestTarget(req.url);
  const kind = parsed.ok && ctx.assetPaths.has(parsed.target.urlPath) ? 'asset' : 'other';
  const ex: Exchange = { req, res, kind, countBytes: (n) => ctx.metrics.bytes.inc({ kind }, n) };
  res.on('close', () => ctx.metrics.requests.inc({ kind, status: String(res.statusCode) }));
  if (!parsed.ok) return sendError(ex, parsed.status, parsed.reason);
  if (req.method === 'OPTIONS') return sendPreflight(ex);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendError(ex, 405, `${req.method} is not supported.`, { Allow: ALLOWED_METHODS });
  }
  const { target } = parsed;
  const route = ROUTES.find((candidate) => candidate.matches(target.urlPath));
  await route?.handle(ex, target, ctx);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new CliError('port-in-use', `${host}:${port} (choose another with --port)`)
          : new CliError('listen-failed', `${host}:${port}: ${errorReason(err)}`),
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
