import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { SiteRelease } from '../site/index.js';
import type { OriginKind } from './origin-metrics.js';

/** One request being answered, with what every handler needs to answer and account for it. */
export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly kind: OriginKind;
  /** The release this request is answered from, read once at its start; none without a site. */
  readonly release: SiteRelease | undefined;
  /** Adds body bytes handed to the socket to `peerconnect_origin_bytes_total`. */
  countBytes(bytes: number): void;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** Ends the response with `body` (none for HEAD), setting its length and counting its bytes. */
export function endWithBody(ex: Exchange, body: Uint8Array): void {
  ex.res.setHeader('Content-Length', body.length);
  if (ex.req.method === 'HEAD') {
    ex.res.end();
    return;
  }
  ex.res.end(body);
  ex.countBytes(body.length);
}

export function sendText(
  ex: Exchange,
  status: number,
  contentType: string,
  text: string,
  headers: Record<string, string> = {},
): void {
  ex.res.statusCode = status;
  ex.res.setHeader('Content-Type', contentType);
  for (const [name, value] of Object.entries(headers)) ex.res.setHeader(name, value);
  endWithBody(ex, Buffer.from(text));
}

/** A small HTML error page that says what went wrong with which path. */
export function sendError(
  ex: Exchange,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
  const page =
    `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head>` +
    `<body><h1>${title}</h1><p>${escapeHtml(message)}</p></body></html>\n`;
  sendText(ex, status, 'text/html; charset=utf-8', page, headers);
}
