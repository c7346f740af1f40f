/** Only a base for parsing: the request target's path and query are what matter. */
const PARSE_BASE = 'http://origin';

/** The path of a request, as the browser sent it and as file name segments. */
export interface RequestTarget {
  /**
   * Pathname after URL normalization ('/a/../b' and '/%2e%2e/b' become '/b'): the form the
   * manifest lists, so it decides whether a request is for an asset.
   */
  readonly urlPath: string;
  /** Query string with its '?', or ''. */
  readonly search: string;
  readonly searchParams: URLSearchParams;
  /** Percent-decoded path segments, empty ones dropped. */
  readonly segments: readonly string[];
}

export type TargetResult =
  | { ok: true; target: RequestTarget }
  | { ok: false; status: 400; reason: string };

/**
 * Parses a request target (`req.url`). Refuses what cannot name a file in the site: targets
 * that are not a path, malformed percent-encoding, NUL bytes and encoded slashes (which would
 * let a single segment climb directories).
 */
export function parseRequestTarget(rawUrl: string | undefined): TargetResult {
  if (!rawUrl?.startsWith('/')) return bad('the request target must be a path');
  let url: URL;
  try {
    // Concatenation, not `new URL(raw, base)`: a target like '//host/x' stays a path.
    url = new URL(PARSE_BASE + rawUrl);
  } catch {
    return bad('the request target is not a valid URL path');
  }
  const segments: string[] = [];
  for (const raw of url.pathname.split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return bad('the path has malformed percent-encoding');
    }
    if (segment.includes('\0')) return bad('the path contains a NUL byte');
    if (segment.includes('/')) return bad('the path contains an encoded slash');
    segments.push(segment);
  }
  return {
    ok: true,
    target: { urlPath: url.pathname, search: url.search, searchParams: url.searchParams, segments },
  };
}

function bad(reason: string): TargetResult {
  return { ok: false, status: 400, reason };
}

/** A path safe to put in Location or a refresh URL: '//host' would leave the origin. */
export function sameOriginPath(urlPath: string): string {
  return urlPath.replace(/^\/+/, '/');
}
