import type { IncomingMessage, ServerResponse } from 'node:http';
import { ALLOWED_METHODS, CORS_HEADERS, sendPreflight } from './cors.js';
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
  for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value);
  const parsed = parseRequestTarget(req.url);
  const kind = parsed.ok && ctx.assetPaths.has(parsed.target.urlPath) ? 'asset' : 'other';
  const ex: Exchange = { req, res, kind, countBytes: (n) => ctx.metrics.bytes.inc({ kind }, n) };
  res.on('close', () => ctx.metrics.requests.inc({ kind, status: String(res.statusCode) }));
  if (!parsed.ok) return sendError(ex, parsed.status, parsed.reason);
  if (req.method === 'OPTIONS') return sendPreflight(ex);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendError(ex, 405, `${req.method} is not supported.`, { Allow: ALLOWED_METHODS });
  }
  const { target } = parsed;
  const route = ROUTES.find((candidate) => candidate.matches(target.urlPath));
  await route?.handle(ex, target, ctx);
}
