import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PATHS } from '../protocol/index.js';
import { contentTypeFor } from '../site/index.js';
import { BUNDLES } from './bundles.js';
import { type Exchange, sendError, sendText } from './exchange.js';
import type { OriginContext } from './origin-context.js';
import type { RequestTarget } from './request-target.js';
import { sendEntity } from './send-entity.js';
import { fileEntity, serveSiteFile } from './site-route.js';

const MS_PER_SECOND = 1000;

/** One kind of GET/HEAD the origin answers; the first route that matches a path handles it. */
export interface Route {
  readonly name: string;
  matches(urlPath: string): boolean;
  handle(ex: Exchange, target: RequestTarget, ctx: OriginContext): Promise<void> | void;
}

const healthz: Route = {
  name: 'healthz',
  matches: (path) => path === PATHS.healthz,
  handle(ex, _target, ctx) {
    const uptime = (performance.now() - ctx.startedAt) / MS_PER_SECOND;
    const body = JSON.stringify({ ok: true, manifestVersion: ctx.manifestVersion, uptime });
    sendText(ex, 200, 'application/json; charset=utf-8', body, { 'Cache-Control': 'no-store' });
  },
};

const metrics: Route = {
  name: 'metrics',
  matches: (path) => path === PATHS.metrics,
  async handle(ex, _target, ctx) {
    const text = await ctx.registry.metrics();
    sendText(ex, 200, ctx.registry.contentType, text, { 'Cache-Control': 'no-store' });
  },
};

/** Revalidated on every load (no-cache + ETag): a rebuilt site must reach visitors at once. */
const manifest: Route = {
  name: 'manifest',
  matches: (path) => path === PATHS.manifest,
  async handle(ex, _target, ctx) {
    const stats = await stat(ctx.manifestPath).catch(() => undefined);
    if (!stats?.isFile())
      return sendError(ex, 404, 'The manifest is missing: run peerconnect build.');
    ex.res.setHeader('Cache-Control', 'no-cache');
    return sendEntity(ex, fileEntity(ctx.manifestPath, stats, contentTypeFor(ctx.manifestPath)));
  },
};

const bundles: Route = {
  name: 'bundles',
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
  matches: (path) => path === PATHS.signal,
  handle(ex) {
    sendError(ex, 426, `${PATHS.signal} is a WebSocket endpoint.`, { Upgrade: 'websocket' });
  },
};

const site: Route = {
  name: 'site',
  matches: () => true,
  handle: serveSiteFile,
};

export const ROUTES: readonly Route[] = [healthz, metrics, manifest, bundles, signal, site];
