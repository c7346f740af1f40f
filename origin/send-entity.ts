import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { type ByteRange, contentRange, parseRange, unsatisfiedRange } from '../protocol/index.js';
import { ifRangeHolds, isNotModified } from './conditional.js';
import { type Exchange, endWithBody } from './exchange.js';

/** A representation to send: a file on disk or a body already in memory. */
export interface Entity {
  readonly contentType: string;
  readonly etag: string;
  readonly mtimeMs: number;
  readonly size: number;
  readonly source: { readonly file: string } | { readonly body: Uint8Array };
}

/**
 * Answers GET/HEAD for one representation: validators, 304, a single Range (206/416) and the
 * body, streamed from disk or written from memory, with every body byte counted. Headers the
 * route owns (Cache-Control, Vary ...) must be set before.
 */
export async function sendEntity(ex: Exchange, entity: Entity): Promise<void> {
  const { req, res } = ex;
  res.setHeader('Content-Type', entity.contentType);
  res.setHeader('ETag', entity.etag);
  res.setHeader('Last-Modified', new Date(entity.mtimeMs).toUTCString());
  res.setHeader('Accept-Ranges', 'bytes');
  if (isNotModified(req.headers, entity.etag, entity.mtimeMs)) {
    res.statusCode = 304;
    res.removeHeader('Content-Type');
    res.end();
    return;
  }
  const range = requestedRange(ex, entity);
  if (range === 'unsatisfiable') {
    res.statusCode = 416;
    res.setHeader('Content-Range', unsatisfiedRange(entity.size));
    endWithBody(ex, new Uint8Array(0));
    return;
  }
  const { start, end } = range ?? { start: 0, end: entity.size - 1 };
  res.statusCode = range ? 206 : 200;
  if (range) res.setHeader('Content-Range', contentRange(range, entity.size));
  if ('body' in entity.source) {
    endWithBody(ex, entity.source.body.subarray(start, end + 1));
    return;
  }
  const length = end - start + 1;
  res.setHeader('Content-Length', length);
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  const stream = createReadStream(entity.source.file, { start, end });
  stream.on('data', (chunk: string | Buffer) => ex.countBytes(chunk.length));
  try {
    await pipeline(stream, res);
  } catch {
    // The client went away or the file vanished mid-body: the socket is already torn down.
    res.destroy();
  }
}

/** Range applies to GET only (RFC 9110 §14.2), and only if If-Range still holds. */
function requestedRange(ex: Exchange, entity: Entity): ByteRange | 'unsatisfiable' | undefined {
  const { headers, method } = ex.req;
  if (method !== 'GET' || !ifRangeHolds(headers, entity.etag, entity.mtimeMs)) return undefined;
  return parseRange(headers.range, entity.size);
}
