import { isIceHost } from '../protocol/index.js';

/** Longest Origin header considered: a 253-character host, a scheme and a port fit. */
export const MAX_ORIGIN_LENGTH = 300;
const MAX_PORT = 65_535;
const HOST_HEADER = /^(\[[^\]]*\]|[^:[\]]+)(?::(\d{1,5}))?$/;

/** Why an upgrade's headers name no swarm it may join. */
export type OriginRefusal = 'origin' | 'bad-host';

/**
 * The swarm a socket joins, keyed by the page's origin, or why it may not join any. A browser
 * always sends the page's `Origin`: it must be this server's own origin (from `Host` and the
 * scheme the client used) or one of `allowed`; anything else, `null` included, is refused.
 * Without an `Origin` the client is no browser (a Node tool, a test) and joins the server's own
 * origin: refusing it would stop nobody, since such a client can send any Origin it likes; the
 * allowlist is what keeps other sites' pages from using this server. Nothing the client says
 * after connecting shapes the swarm.
 */
export function swarmKeyOf(
  headers: { readonly origin?: string; readonly host?: string },
  scheme: 'http' | 'https',
  allowed: ReadonlySet<string> = new Set(),
): string | OriginRefusal {
  const own = ownOrigin(headers.host, scheme);
  if (headers.origin === undefined) return own ?? 'bad-host';
  const origin = originOf(headers.origin);
  if (origin !== undefined && (origin === own || allowed.has(origin))) return origin;
  return 'origin';
}

/**
 * `text` as an origin to allow: any http(s) URL, reduced to its origin as a browser serializes
 * it. Throws RangeError for anything else.
 */
export function allowedOriginOf(text: string): string {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new RangeError(`an allowed origin must be an http(s) origin, not '${text}'`);
  }
  return url.origin;
}

/** `header` when it is exactly a serialized http(s) origin (no path, lowercase, no default port). */
function originOf(header: string): string | undefined {
  if (header.length > MAX_ORIGIN_LENGTH || !URL.canParse(header)) return undefined;
  const url = new URL(header);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return url.origin === header ? header : undefined;
}

function ownOrigin(host: string | undefined, scheme: 'http' | 'https'): string | undefined {
  const match = host === undefined ? null : HOST_HEADER.exec(host);
  if (!match) return undefined;
  const [, name = '', port] = match;
  if (!isIceHost(name)) return undefined;
  if (port !== undefined && !(Number(port) >= 1 && Number(port) <= MAX_PORT)) return undefined;
  // The URL parser lowercases the host and drops a default port, as a browser's Origin does.
  return new URL(`${scheme}://${host}`).origin;
}
