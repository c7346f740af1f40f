import { PeerConnectError } from '../protocol/index.js';
import type { AssetRequest } from './asset-request.js';
import { ServedTally } from './served-reporter.js';

/**
 * The origin's own response, untouched but for counting its body bytes, which are reported to
 * the page when the body ends, fails or is cancelled (a media element reads part of a range and
 * drops the rest).
 */
export async function countedOriginResponse(req: AssetRequest): Promise<Response> {
  return countedResponse(req, await fetch(req.request));
}

/** `response` (the origin's, to `req`) with its body bytes counted and reported. */
export function countedResponse(req: AssetRequest, response: Response): Response {
  if (!response.body) return response;
  const tally = new ServedTally(req.url.pathname, req.clientId);
  const reader = response.body.getReader();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let finished = false;
  /** The one way the body ends: done (no error), failed, or cancelled by the page. */
  const finish = (err?: unknown): void => {
    if (finished) return;
    finished = true;
    reader.cancel(err).catch(() => {});
    tally.report();
    if (err === undefined) controller.close();
    else controller.error(err);
  };
  const counted = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    async pull() {
      try {
        const { done, value } = await reader.read();
        if (done) return finish();
        tally.origin += value.byteLength;
        controller.enqueue(value);
      } catch (err) {
        finish(err);
      }
    },
    cancel() {
      finish(new PeerConnectError('cancelled'));
    },
  });
  return new Response(counted, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
