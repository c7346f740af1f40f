import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import {
  CHUNK_SIZE,
  chunkLength,
  contentRange,
  type ManifestAsset,
  parseRange,
  unsatisfiedRange,
} from '../protocol/index.js';
import { ifRangeHolds, isNotModified } from './conditional.js';
import { type Exchange, endWithBody } from './exchange.js';

/** How long a client should wait before retrying an asset whose release is being rebuilt. */
export const STALE_RETRY_AFTER_S = 2;

/** A manifest asset's validator: its content hash, the same for every server and release. */
export function assetEtag(asset: ManifestAsset): string {
  return `"${asset.sha256}"`;
}

/**
 * Serves a manifest asset so that it never disagrees with the manifest: the file is read in
 * whole manifest chunks and each is checked against its sha-256 before any of its bytes are
 * sent (a Range reads its covering chunks and sends the slice). On a mismatch nothing wrong
 * goes out: a 503 with Retry-After if no byte was sent yet, else the response is destroyed.
 * `onStale` hears of the mismatch first (to rebuild), before the client sees the failure.
 */
export async function sendVerifiedAsset(
  ex: Exchange,
  asset: ManifestAsset,
  filePath: string,
  stats: Stats,
  onStale: (detail: string) => void,
): Promise<void> {
  const { req, res } = ex;
  const refuse = (detail: string) => {
    onStale(detail);
    if (res.headersSent) res.destroy();
    else sendUnavailable(ex);
  };
  if (stats.size !== asset.size) {
    return refuse(`${stats.size} bytes on disk, ${asset.size} in the manifest`);
  }
  const etag = assetEtag(asset);
  res.setHeader('Content-Type', asset.type);
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', new Date(stats.mtimeMs).toUTCString());
  res.setHeader('Accept-Ranges', 'bytes');
  if (isNotModified(req.headers, etag, stats.mtimeMs)) {
    res.statusCode = 304;
    res.removeHeader('Content-Type');
    res.end();
    return;
  }
  const useRange = req.method === 'GET' && ifRangeHolds(req.headers, etag, stats.mtimeMs);
  const range = useRange ? parseRange(req.headers.range, asset.size) : undefined;
  if (range === 'unsatisfiable') {
    res.statusCode = 416;
    res.setHeader('Content-Range', unsatisfiedRange(asset.size));
    endWithBody(ex, new Uint8Array(0));
    return;
  }
  const { start, end } = range ?? { start: 0, end: asset.size - 1 };
  const length = end - start + 1;
  if (req.method === 'HEAD' || length === 0) {
    res.statusCode = range ? 206 : 200;
    if (range) res.setHeader('Content-Range', contentRange(range, asset.size));
    res.setHeader('Content-Length', length);
    res.end();
    return;
  }
  let handle: FileHandle;
  try {
    handle = await open(filePath, 'r');
  } catch (err) {
    return refuse(`cannot open: ${(err as Error).message}`);
  }
  try {
    const first = Math.floor(start / CHUNK_SIZE);
    const last = Math.floor(end / CHUNK_SIZE);
    for (let index = first; index <= last; index++) {
      const chunk = await readChunk(handle, asset, index);
      if (chunk === undefined) return refuse(`chunk ${index} does not match the manifest`);
      if (index === first) {
        res.statusCode = range ? 206 : 200;
        if (range) res.setHeader('Content-Range', contentRange(range, asset.size));
        res.setHeader('Content-Length', length);
      }
      const offset = index * CHUNK_SIZE;
      const slice = chunk.subarray(
        Math.max(0, start - offset),
        Math.min(chunk.length, end + 1 - offset),
      );
      if (!(await write(res, slice))) return;
      ex.countBytes(slice.length);
    }
    res.end();
    return;
  } finally {
    await handle.close();
  }
}

/** Chunk `index` of the file, or undefined when it is short or its hash is not the manifest's. */
async function readChunk(
  handle: FileHandle,
  asset: ManifestAsset,
  index: number,
): Promise<Buffer | undefined> {
  const length = chunkLength(asset.size, index);
  const chunk = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(
      chunk,
      filled,
      length - filled,
      index * CHUNK_SIZE + filled,
    );
    if (bytesRead === 0) return undefined;
    filled += bytesRead;
  }
  const hash = createHash('sha256').update(chunk).digest('hex');
  return hash === asset.chunks[index] ? chunk : undefined;
}

/** Writes with backpressure; false when the client went away first. */
function write(res: ServerResponse, data: Uint8Array): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  if (res.write(data)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

function sendUnavailable(ex: Exchange): void {
  const { res } = ex;
  res.statusCode = 503;
  for (const name of ['ETag', 'Last-Modified', 'Accept-Ranges', 'Content-Type']) {
    res.removeHeader(name);
  }
  res.setHeader('Retry-After', String(STALE_RETRY_AFTER_S));
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  endWithBody(
    ex,
    Buffer.from('This file changed since the release was built; try again shortly.\n'),
  );
}
