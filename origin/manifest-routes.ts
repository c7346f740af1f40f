import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PATHS } from '../protocol/index.js';
import { shardsDirOf } from '../site/index.js';
import { type Exchange, sendError } from './exchange.js';
import { READ_METHODS, type Route } from './route.js';
import { sendEntity } from './send-entity.js';

const JSON_TYPE = 'application/json; charset=utf-8';
/** A shard's name is its content hash, so its bytes never change: cache them for a year. */
const SHARD_CACHE_CONTROL = 'public, max-age=31536000, immutable';
const SHARD_NAME = /^([0-9a-f]{64})\.json$/;

function sendJson(ex: Exchange, bytes: Uint8Array, etag: string): Promise<void> {
  return sendEntity(ex, {
    contentType: JSON_TYPE,
    etag,
    // Not a file: If-Modified-Since never matches, the ETag decides.
    mtimeMs: 0,
    size: bytes.byteLength,
    source: { body: bytes },
  });
}

/** The root, from the release in memory: revalidated on every load (no-cache + ETag). */
export const manifestRoute: Route = {
  name: 'manifest',
  cors: true,
  methods: READ_METHODS,
  matches: (path) => path === PATHS.manifest,
  handle(ex) {
    if (!ex.release) return sendError(ex, 404, 'This server serves no site.');
    ex.res.setHeader('Cache-Control', 'no-cache');
    return sendJson(ex, ex.release.rootBytes, `"${ex.release.root.version}"`);
  },
};

/**
 * A shard by its hash: the current release's from memory, an older retained release's from
 * disk (a tab still on it may ask), checked against its name before it is sent.
 */
export const shardRoute: Route = {
  name: 'shard',
  cors: true,
  methods: READ_METHODS,
  matches: (path) => path.startsWith(PATHS.shards),
  async handle(ex, target, ctx) {
    const sha = SHARD_NAME.exec(target.urlPath.slice(PATHS.shards.length))?.[1];
    if (!ex.release || !ctx.site || sha === undefined) {
      return sendError(ex, 404, `${target.urlPath} is not a manifest shard.`);
    }
    const bytes = ex.release.shards.get(sha) ?? (await readRetainedShard(ctx.site.root, sha));
    if (!bytes) return sendError(ex, 404, `${target.urlPath} is not in a retained release.`);
    ex.res.setHeader('Cache-Control', SHARD_CACHE_CONTROL);
    return sendJson(ex, bytes, `"${sha}"`);
  },
};

async function readRetainedShard(siteRoot: string, sha: string): Promise<Uint8Array | undefined> {
  const bytes = await readFile(join(shardsDirOf(siteRoot), `${sha}.json`)).catch(() => undefined);
  if (!bytes) return undefined;
  return createHash('sha256').update(bytes).digest('hex') === sha ? bytes : undefined;
}
