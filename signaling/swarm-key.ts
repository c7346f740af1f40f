import { isIceHost } from '../protocol/index.js';

/** Longest Origin header taken as a swarm key: a 253-character host, a scheme and a port fit. */
export const MAX_ORIGIN_LENGTH = 300;
const MAX_PORT = 65_535;
const HOST_HEADER = /^(\[[^\]]*\]|[^:[\]]+)(?::(\d{1,5}))?$/;

/**
 * The swarm a socket joins: its upgrade's `Origin` when that is an http(s) origin (a browser
 * always sends the page's), else this server's own origin from `Host` (Node clients send no
 * Origin). Nothing the client says after connecting shapes the swarm. Undefined when neither
 * header is usable (the upgrade is refused).
 */
export function swarmKeyOf(
  headers: { readonly origin?: string; readonly host?: string },
  secure: boolean,
): string | undefined {
  return originOf(headers.origin) ?? ownOrigin(headers.host, secure ? 'https' : 'http');
}

/** `header` when it is exactly a serialized http(s) origin (no path, lowercase, no default port). */
function originOf(header: string | undefined): string | undefined {
  if (header === undefined || header.length > MAX_ORIGIN_LENGTH) return undefined;
  let url: URL;
  try {
    url = new URL(header);
  } catch {
    return undefined;
  }
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
