import type { IncomingMessage, ServerResponse } from 'node:http';
import { RELEASE_HEADER } from '../protocol/index.js';
import { CORS_HEADERS, sendPreflight } from './cors.js';
import { type Exchange, sendError } from './exchange.js';
import type { OriginContext } from './origin-context.js';
import { ROUTES } from './origin-routes.js';
import { parseRequestTarget } from './request-target.js';

/** Answers one HTTP request as the site's origin: the first matching route handles it. */
export async function handleOriginRequest(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: OriginContext,
): Promise<void> {
  const parsed = parseRequestTarget(req.url);
  const release = ctx.site?.release.current();
  const kind = parsed.ok && release?.assets.has(parsed.target.urlPath) ? 'asset' : 'other';
  // Every answer names the release, so a worker that sees a new one refreshes its root.
  if (release) res.setHeader(RELEASE_HEADER, release.root.version);
  const ex: Exchange = {
    req,
    res,
    kind,
    release,
    countBytes: (n) => {
      ctx.metrics.bytes.inc({ kind }, n);
      if (kind === 'asset') ctx.owner.stats.recordOriginServed(n);
    },
  };
  res.on('close', () => ctx.metrics.requests.inc({ kind, status: String(res.statusCode) }));
  if (!parsed.ok) {
    // A malformed target would have named a site file: its error is public like them.
    setCorsHeaders(res);
    return sendError(ex, parsed.status, parsed.reason);
  }
  // The last route (the site's files) matches every path.
  const route = ROUTES.find((candidate) => candidate.matches(parsed.target.urlPath))!;
  if (route.cors) setCorsHeaders(res);
  const allow = [...route.methods, 'OPTIONS'].join(', ');
  if (req.method === 'OPTIONS') return sendPreflight(ex, route.cors, allow);
  if (!route.methods.includes(req.method ?? '')) {
    return sendError(ex, 405, `${req.method} is not supported here.`, { Allow: allow });
  }
  await route.handle(ex, parsed.target, ctx);
}

function setCorsHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value);
}
