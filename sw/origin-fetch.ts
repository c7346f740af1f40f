import { PeerConnectError } from '../protocol/index.js';

/**
 * The bytes of `url` from `offset` to the end, from the origin. A server that ignores Range
 * (200) is handled by skipping the prefix, so the caller always reads exactly the missing bytes.
 */
export async function fetchFromOffset(
  url: string,
  offset: number,
): Promise<ReadableStream<Uint8Array>> {
  const response = await fetch(url, {
    headers: offset > 0 ? { Range: `bytes=${offset}-` } : {},
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (!response.body) throw new PeerConnectError('origin-error', `${response.status} without body`);
  if (offset > 0 && response.status === 206) {
    const start = /^bytes (\d+)-/.exec(response.headers.get('Content-Range') ?? '')?.[1];
    if (Number(start) !== offset) {
      await response.body.cancel();
      throw new PeerConnectError('origin-error', `range starts at ${start}, wanted ${offset}`);
    }
    return response.body;
  }
  if (response.status !== 200) {
    await response.body.cancel();
    throw new PeerConnectError('origin-error', `status ${response.status}`);
  }
  return offset > 0 ? response.body.pipeThrough(skipBytes(offset)) : response.body;
}

function skipBytes(count: number): TransformStream<Uint8Array, Uint8Array> {
  let skipped = 0;
  return new TransformStream({
    transform(chunk, controller) {
      if (skipped >= count) {
        controller.enqueue(chunk);
        return;
      }
      const take = Math.min(count - skipped, chunk.byteLength);
      skipped += take;
      if (take < chunk.byteLength) controller.enqueue(chunk.subarray(take));
    },
  });
}
