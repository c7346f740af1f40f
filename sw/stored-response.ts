import type { ManifestAsset } from '../protocol/index.js';
import { contentRange, parseRange, unsatisfiedRange } from '../protocol/index.js';

/** Headers of a response the worker builds itself (from peers or the store). */
export function assetHeaders(
  asset: ManifestAsset,
  source: 'peer' | 'cache',
  length = asset.size,
): Headers {
  return new Headers({
    'Content-Type': asset.type,
    'Content-Length': String(length),
    'Accept-Ranges': 'bytes',
    'X-PeerConnect-Source': source,
  });
}

/**
 * Answers from the store as the origin would answer the same `Range` (media elements always ask
 * for one): the range, 416 when nothing of it exists, the whole body when it is malformed.
 */
export function storedResponse(
  asset: ManifestAsset,
  data: Blob,
  rangeHeader: string | null,
): Response {
  const size = data.size;
  const range = parseRange(rangeHeader, size);
  if (range === undefined) return new Response(data, { headers: assetHeaders(asset, 'cache') });
  if (range === 'unsatisfiable') {
    return new Response(null, {
      status: 416,
      headers: { 'Content-Range': unsatisfiedRange(size) },
    });
  }
  const headers = assetHeaders(asset, 'cache', range.end - range.start + 1);
  headers.set('Content-Range', contentRange(range, size));
  return new Response(data.slice(range.start, range.end + 1), { status: 206, headers });
}
