import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import {
  type AgentSettings,
  censusFromGauges,
  createOriginMetrics,
  createOwnerContext,
  createProxyTrust,
  dashboardEntryPath,
  defaultBundleDir,
  type FirstVisitMode,
  handleOriginRequest,
  missingBundles,
  type OriginContext,
  type SiteContext,
} from '../origin/index.js';
import { type IceServer, PATHS } from '../protocol/index.js';
import { attachSignaling, SIGNAL_METRIC_NAMES } from '../signaling/index.js';
import { type BuildProgress, errorReason, resolveSiteRoot } from '../site/index.js';
import { ServerError } from './errors.js';
import { checkIceConfig, iceServersFor } from './ice-servers.js';
import { type LiveRelease, startLiveRelease } from './live-release.js';
import { type StunServer, startStunServer } from './stun-server.js';
import { loadTlsCredentials, type TlsFiles } from './tls-files.js';
import type { TurnOptions } from './turn-credentials.js';

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';
/** On close, requests still running after this long are cut off. */
const CLOSE_GRACE_MS = 2000;
/** Signaling's gauges, which the dashboard reads for its live figures. */
const SIGNAL_GAUGES = {
  peersOnline: SIGNAL_METRIC_NAMES.connections,
  swarms: SIGNAL_METRIC_NAMES.swarms,
};

export interface ServeOptions {
  /** The site to serve; absent: signaling only (`serve --signal-only`), no site files. */
  siteDir?: string;
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
  /** Progress of the manifest build at start. */
  onManifestProgress?: (progress: BuildProgress) => void;
  /** Rebuild the release when the site changes (default true). */
  watch?: boolean;
  /** The kill switch: publish the root with `disabled`, serve pages without the agent. */
  disable?: boolean;
  /** Globs of files never shared (private content): out of the manifest, origin only. */
  exclude?: readonly string[];
  /** Written on the injected agent tag (consent, upload limits, signaling elsewhere). */
  agent?: AgentSettings;
  /** Other peers a swarm needs before anyone learns who holds what (signaling's minSwarm). */
  minSwarm?: number;
  /** Makes the metrics and the dashboard require this token (bearer or login cookie). */
  adminToken?: string;
  /**
   * Origins besides the server's own whose pages use this server: they may signal here (any
   * other Origin is refused at the upgrade) and send stats beacons.
   */
  allowedOrigins?: readonly string[];
  /**
   * UDP port of the built-in STUN server, on `host`. 0 or undefined: none (the CLI's default is
   * DEFAULT_STUN_PORT; here it is off, so that servers started side by side do not collide).
   */
  stunPort?: number;
  /**
   * The ICE servers to advertise instead of the built-in STUN server (which still runs when
   * `stunPort` is set). Checked at start: ServerError('bad-ice-servers').
   */
  iceServers?: IceServer[];
  /** Hand each signaling connection fresh TURN credentials for these relays (appended). */
  turn?: TurnOptions;
  /** Serve HTTPS (HTTP/1.1 over TLS; signaling is then wss) with these PEM files. */
  tls?: TlsFiles;
  /**
   * Connections from these addresses (IPs, CIDR blocks, `loopback`) are proxies: their
   * X-Forwarded-For and X-Forwarded-Proto are believed (beacon rate limits, signaling's
   * per-address caps and own origin). Check entries with isTrustProxyEntry.
   */
  trustProxy?: readonly string[];
  /** redis://host:port: signaling shares swarms with the other nodes on it (`--redis`). */
  redis?: string;
}

export interface RunningServer {
  /** The origin's base URL, e.g. http://127.0.0.1:8080/ (https with `tls`) */
  readonly url: string;
  readonly port: number;
  /** The release served now (it changes on rebuilds); undefined for signaling only. */
  readonly manifestVersion: string | undefined;
  /** The dashboard; with an admin token, its one-time login link. */
  readonly dashboardUrl: string;
  /** The built-in STUN server's UDP port; undefined when it is off. */
  readonly stunPort: number | undefined;
  /** Resolves once no release rebuild is pending or running. */
  releaseSettled(): Promise<void>;
  /** Stops accepting, closes signaling, ends open connections; idempotent. */
  close(): Promise<void>;
}

function logToStderr(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Starts `peerconnect serve` in this process: the site's origin (static files, manifest,
 * bundles, metrics) and the signaling WebSocket, on one HTTP server. Builds the release first
 * and keeps it current while serving, and starts the STUN server when `stunPort` is set.
 * Without `siteDir`, only signaling, STUN, healthz, metrics and beacons. Throws SiteError or
 * ServerError for a missing site, a TCP or UDP port in use, or bad ICE settings.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const log = options.log ?? logToStderr;
  const iceOptions = { iceServers: options.iceServers, turn: options.turn };
  checkIceConfig(iceOptions);
  const tls = options.tls && (await loadTlsCredentials(options.tls));
  const bundleDir = options.bundleDir ?? defaultBundleDir();
  const missing = await missingBundles(bundleDir);
  if (missing.length > 0) {
    log(
      `peerconnect: the browser bundles (${missing.join(', ')}) are missing from ${bundleDir}; ` +
        'run `npm run build`. Until then they are answered with 503.',
    );
  }
  const registry = new Registry();
  let live: LiveRelease | undefined;
  const owner = createOwnerContext({
    registry,
    assetSize:
      options.siteDir === undefined ? undefined : (path) => live?.current().assets.get(path)?.size,
    log,
    census: censusFromGauges(registry, SIGNAL_GAUGES),
    adminToken: options.adminToken,
    allowedOrigins: options.allowedOrigins,
  });
  let site: SiteContext | undefined;
  try {
    const started =
      options.siteDir === undefined ? undefined : await startSite(options.siteDir, options, log);
    live = started?.release;
    site = started;
  } catch (err) {
    owner.close();
    throw err;
  }
  const ctx: OriginContext = {
    site,
    bundleDir,
    inject: options.inject ?? true,
    agent: options.agent ?? {},
    firstVisit: options.firstVisit ?? 'bootstrap',
    registry,
    metrics: createOriginMetrics(registry),
    owner: owner.owner,
    proxyTrust: createProxyTrust(options.trustProxy),
    startedAt: performance.now(),
    // A node degraded to its own swarms still serves: healthz says so rather than failing.
    health: () => {
      const redis = signaling?.redis();
      return redis ? { redis } : {};
    },
  };
  const onRequest: RequestListener = (req, res) => {
    handleOriginRequest(req, res, ctx).catch((err: unknown) => {
      log(`peerconnect: ${req.method} ${req.url} failed: ${errorReason(err)}`);
      if (res.headersSent) res.destroy();
      else res.writeHead(500).end();
    });
  };
  const server = tls ? createHttpsServer(tls, onRequest) : createServer(onRequest);
  const host = options.host ?? DEFAULT_HOST;
  let stun: StunServer | undefined;
  // Until the STUN server is up (a few ms after listening), a joiner is told only the rest.
  let advertised = iceServersFor({ ...iceOptions, stunPort: undefined });
  let signaling: ReturnType<typeof attachSignaling> | undefined;
  try {
    signaling = attachSignaling(server, {
      path: PATHS.signal,
      registry,
      iceServers: (request) => advertised(request),
      minSwarm: options.minSwarm,
      allowedOrigins: options.allowedOrigins,
      proxyTrust: ctx.proxyTrust,
      log,
      ...(options.redis !== undefined && { redis: options.redis }),
    });
  } catch (err) {
    live?.close();
    owner.close();
    throw err;
  }
  // The one teardown path, also for a start that fails half-way.
  const teardown = async () => {
    live?.close();
    owner.close();
    // Each part closes even when another fails to.
    await Promise.allSettled([signaling.close()]);
    await Promise.allSettled([server.listening ? closeServer(server) : undefined, stun?.close()]);
  };
  try {
    // HTTP first: a taken --port is reported as such even when the STUN port is taken too.
    await listen(server, options.port ?? DEFAULT_PORT, host);
    if (options.stunPort) {
      stun = await startStunServer({ port: options.stunPort, host, log });
      advertised = iceServersFor({ ...iceOptions, stunPort: stun.port });
    }
  } catch (err) {
    await teardown();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  if (stun) log(`peerconnect: STUN server on udp ${host}:${stun.port}`);
  let closing: Promise<void> | undefined;
  const url = originUrl(tls ? 'https' : 'http', host, port);
  return {
    url,
    port,
    get manifestVersion() {
      return site?.release.current().root.version;
    },
    releaseSettled: () => live?.settled() ?? Promise.resolve(),
    dashboardUrl: new URL(dashboardEntryPath(owner.owner.auth), url).href,
    stunPort: stun?.port,
    close() {
      closing ??= teardown();
      return closing;
    },
  };
}

async function startSite(
  siteDir: string,
  options: ServeOptions,
  log: (line: string) => void,
): Promise<{ root: string; release: LiveRelease }> {
  const root = await resolveSiteRoot(siteDir);
  const release = await startLiveRelease(root, {
    log,
    disable: options.disable,
    exclude: options.exclude,
    watch: options.watch,
    onProgress: options.onManifestProgress,
  });
  return { root, release };
}

function listen(server: Server | HttpsServer, port: number, host: string): Promise<void> {
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
function originUrl(scheme: 'http' | 'https', host: string, port: number): string {
  const name = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `${scheme}://${name.includes(':') ? `[${name}]` : name}:${port}/`;
}

function closeServer(server: Server | HttpsServer): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
