import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PATHS } from '../protocol/index.js';
import { contentTypeFor } from '../site/index.js';
import { BUNDLES } from './bundles.js';
import { sendError, sendText } from './exchange.js';
import { manifestRoute, shardRoute } from './manifest-routes.js';
import { OWNER_ROUTES } from './owner-routes.js';
import { READ_METHODS, type Route } from './route.js';
import { sendEntity } from './send-entity.js';
import { fileEntity, serveSiteFile } from './site-route.js';

const MS_PER_SECOND = 1000;

const healthz: Route = {
  name: 'healthz',
  cors: false,
  methods: READ_METHODS,
  matches: (path) => path === PATHS.healthz,
  handle(ex, _target, ctx) {
    const uptime = (performance.now() - ctx.startedAt) / MS_PER_SECOND;
    const manifestVersion = ex.release?.root.version ?? null;
    const body = JSON.stringify({ ok: true, manifestVersion, uptime, ...ctx.health?.() });
    sendText(ex, 200, 'application/json; charset=utf-8', body, { 'Cache-Control': 'no-store' });
  },
};

const bundles: Route = {
  name: 'bundles',
  cors: true,
  methods: READ_METHODS,
  matches: (path) => BUNDLES.has(path),
  async handle(ex, target, ctx) {
    const bundle = BUNDLES.get(target.urlPath)!;
    const file = join(ctx.bundleDir, bundle.file);
    const stats = await stat(file).catch(() => undefined);
    if (!stats?.isFile()) {
      if (!bundle.required) return sendError(ex, 404, `${target.urlPath} was not built.`);
      return sendError(
        ex,
        503,
        `The browser bundle ${bundle.file} is missing from ${ctx.bundleDir}: run npm run build.`,
      );
    }
    for (const [name, value] of Object.entries(bundle.headers)) ex.res.setHeader(name, value);
    return sendEntity(ex, fileEntity(file, stats, contentTypeFor(bundle.file)));
  },
};

/** The WebSocket endpoint is served on `upgrade`; a plain request there gets told so. */
const signal: Route = {
  name: 'signal',
  cors: true,
  methods: READ_METHODS,
  matches: (path) => path === PATHS.signal,
  handle(ex) {
    sendError(ex, 426, `${PATHS.signal} is a WebSocket endpoint.`, { Upgrade: 'websocket' });
  },
};

const site: Route = {
  name: 'site',
  cors: true,
  methods: READ_METHODS,
  matches: () => true,
  handle: serveSiteFile,
};

export const ROUTES: readonly Route[] = [
  healthz,
  ...OWNER_ROUTES,
  manifestRoute,
  shardRoute,
  bundles,
  signal,
  site,
];
