import { vi } from 'vitest';
import { contentRange, parseRange, unsatisfiedRange } from '../protocol/index.js';

/** Bytes per body piece: small and not a divisor of CHUNK_SIZE, so pieces straddle chunks. */
const PIECE_BYTES = 5000;

/**
 * An in-memory origin behind a stubbed global `fetch`: serves the files it was given, with
 * Range as `peerconnect serve` answers it, in pieces pulled one at a time (so a cancel is seen
 * before the body ends), and records every request and every body cancelled.
 */
export class FakeOrigin {
  readonly requests: Array<{ path: string; range: string | null }> = [];
  cancelledBodies = 0;
  private readonly files = new Map<string, Uint8Array>();
  /** Paths whose body breaks (a dropped connection) after this many bytes. */
  private readonly breaks = new Map<string, number>();
  /** Extra response headers per path (Cache-Control, Vary). */
  private readonly extraHeaders = new Map<string, Record<string, string>>();

  constructor() {
    vi.stubGlobal('fetch', (input: RequestInfo | URL, init?: RequestInit) =>
      this.fetch(new Request(input, init)),
    );
  }

  serve(
    path: string,
    bytes: Uint8Array,
    options: { breakAfter?: number; headers?: Record<string, string> } = {},
  ): this {
    this.files.set(path, bytes);
    this.extraHeaders.set(path, options.headers ?? {});
    if (options.breakAfter === undefined) this.breaks.delete(path);
    else this.breaks.set(path, options.breakAfter);
    return this;
  }

  private async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    const range = request.headers.get('Range');
    this.requests.push({ path, range });
    const file = this.files.get(path);
    if (!file) return new Response('not found', { status: 404 });
    const size = file.byteLength;
    const breakAfter = this.breaks.get(path);
    const parsed = parseRange(range, size);
    if (parsed === 'unsatisfiable') {
      return new Response(null, {
        status: 416,
        headers: { 'Content-Range': unsatisfiedRange(size) },
      });
    }
    if (!parsed) {
      return new Response(this.body(file, breakAfter), {
        headers: { 'Content-Length': String(size), ...this.extraHeaders.get(path) },
      });
    }
    const part = file.subarray(parsed.start, parsed.end + 1);
    return new Response(this.body(part, breakAfter), {
      status: 206,
      headers: {
        'Content-Range': contentRange(parsed, size),
        'Content-Length': String(part.length),
        ...this.extraHeaders.get(path),
      },
    });
  }

  private body(bytes: Uint8Array, breakAfter = Infinity): ReadableStream<Uint8Array> {
    let at = 0;
    return new ReadableStream<Uint8Array>({
      pull: (controller) => {
        if (at >= breakAfter) {
          controller.error(new TypeError('network error'));
          return;
        }
        if (at >= bytes.byteLength) {
          controller.close();
          return;
        }
        controller.enqueue(bytes.slice(at, at + PIECE_BYTES));
        at += PIECE_BYTES;
      },
      cancel: () => {
        this.cancelledBodies++;
      },
    });
  }
}
