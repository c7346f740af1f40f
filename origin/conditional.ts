import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const MS_PER_SECOND = 1000;

/** A validator that changes whenever a file's size or modification time does (as nginx does). */
export function fileEtag(size: number, mtimeMs: number): string {
  return `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
}

/** A validator for a body built in memory (an injected HTML page): its hash. */
export function bodyEtag(body: Uint8Array): string {
  return `"${createHash('sha256').update(body).digest('base64url')}"`;
}

/** HTTP dates carry whole seconds. */
function toSeconds(ms: number): number {
  return Math.floor(ms / MS_PER_SECOND);
}

function opaqueTag(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/**
 * Whether a GET/HEAD may be answered 304 (RFC 9110 §13.2.2): If-None-Match decides when present
 * (weak comparison), else If-Modified-Since.
 */
export function isNotModified(
  headers: IncomingHttpHeaders,
  etag: string,
  mtimeMs: number,
): boolean {
  const noneMatch = headers['if-none-match'];
  if (noneMatch !== undefined) {
    return noneMatch
      .split(',')
      .map((tag) => tag.trim())
      .some((tag) => tag === '*' || opaqueTag(tag) === opaqueTag(etag));
  }
  const since = Date.parse(headers['if-modified-since'] ?? '');
  return !Number.isNaN(since) && toSeconds(mtimeMs) <= toSeconds(since);
}

/**
 * Whether a Range request may be answered partially (RFC 9110 §13.1.5): without If-Range always;
 * with it only if the representation is the one the client already holds part of (strong
 * comparison for a tag, equality for a date), else the client gets the whole new body.
 */
export function ifRangeHolds(headers: IncomingHttpHeaders, etag: string, mtimeMs: number): boolean {
  const ifRange = headers['if-range'];
  if (ifRange === undefined) return true;
  // Typed as possibly repeated; a repeated If-Range is malformed, so the whole body is sent.
  if (typeof ifRange !== 'string') return false;
  // A weak tag (W/"...") never equals our strong one, as strong comparison requires.
  if (ifRange.startsWith('"') || ifRange.startsWith('W/')) return ifRange === etag;
  const date = Date.parse(ifRange);
  return !Number.isNaN(date) && toSeconds(date) === toSeconds(mtimeMs);
}
