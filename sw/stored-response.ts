import type { ManifestAsset } from '../protocol/index.js';

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
 * Answers from the store, honouring a single `Range` (media elements always ask for one);
 * an unsatisfiable range gets 416 as the origin would give, a multi-range the whole body.
 */
export function storedResponse(
  asset: ManifestAsset,
  data: Blob,
  rangeHeader: string | null,
): Response {
  const match = rangeHeader ? /^bytes=(\d*)-(\d*)$/.exec(rangeHeader.trim()) : null;
  // RFC 9110 §14.1.1: a range that ends before it starts is invalid; ignore it, as the origin does.
  const inverted =
    !!match && match[1] !== '' && match[2] !== '' && Number(match[2]) < Number(match[1]);
  if (!match || (match[1] === '' && match[2] === '') || inverted) {
    return new Response(data, { headers: assetHeaders(asset, 'cache') });
  }
  const size = data.size;
  let start: number;
  let end: number;
  if (match[1] === '') {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) {
    return new Response(null, { status: 416, headers: { 'Content-Range': `bytes */${size}` } });
  }
  const headers = assetHeaders(asset, 'cache', end - start + 1);
  headers.set('Content-Range', `bytes ${start}-${end}/${size}`);
  return new Response(data.slice(start, end + 1), { status: 206, headers });
}
