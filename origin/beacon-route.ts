import type { IncomingMessage } from 'node:http';
import {
  BEACON_LIMITS,
  BEACON_PATH,
  BeaconError,
  checkBeaconAssets,
  parseBeacon,
} from '../protocol/index.js';
import type { BeaconResult } from './client-metrics.js';
import { type Exchange, sendText } from './exchange.js';
import type { OwnerContext } from './owner-context.js';
import { readBody } from './request-body.js';
import type { Route } from './route.js';

/** `sendBeacon` with a string body sends text/plain; a hand-written client may say JSON. */
const BEACON_CONTENT_TYPES: ReadonlySet<string> = new Set(['text/plain', 'application/json']);

const STATUS: Record<Exclude<BeaconResult, 'accepted'>, number> = {
  'forbidden-origin': 403,
  'rate-limited': 429,
  'unsupported-type': 415,
  'too-large': 413,
  malformed: 400,
  impossible: 422,
};

/**
 * Whether a beacon's page may report here: the server's own origin (the Origin's host is the
 * request's Host) or one configured with `allowedOrigins`. Browsers always send Origin with a
 * POST; a request without one is not a page's beacon.
 */
function beaconOriginAllowed(req: IncomingMessage, allowed: ReadonlySet<string>): boolean {
  const origin = req.headers.origin;
  if (!origin || !URL.canParse(origin)) return false;
  return allowed.has(new URL(origin).origin) || new URL(origin).host === req.headers.host;
}

/**
 * POST /peerconnect/stats: one visitor page's beacon. Every refusal changes no figure and says
 * why with its status: 403 origin, 429 rate, 415 type, 413 size, 400 shape, 422 numbers that
 * no real page could have seen (unknown asset, more bytes than the asset). No CORS headers:
 * a beacon's text/plain body needs no preflight, and no page reads the answer.
 */
export const beaconRoute: Route = {
  name: 'beacon',
  cors: false,
  methods: ['POST'],
  matches: (path) => path === BEACON_PATH,
  async handle(ex, _target, ctx) {
    const result = await acceptBeacon(ex, ctx.owner, ctx.proxyTrust.clientAddress(ex.req));
    ctx.owner.clientMetrics.counted(result.result);
    if (result.result === 'accepted') {
      ex.res.statusCode = 204;
      ex.res.end();
      return;
    }
    const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
    // The rest of an oversized body is not worth reading on this connection.
    if (result.result === 'too-large') headers.Connection = 'close';
    sendText(ex, STATUS[result.result], 'text/plain; charset=utf-8', `${result.reason}\n`, headers);
  },
};

type Outcome =
  | { result: 'accepted' }
  | { result: Exclude<BeaconResult, 'accepted'>; reason: string };

async function acceptBeacon(
  ex: Exchange,
  owner: OwnerContext,
  clientAddress: string,
): Promise<Outcome> {
  const { req } = ex;
  if (!beaconOriginAllowed(req, owner.beaconOrigins)) {
    return {
      result: 'forbidden-origin',
      reason: `beacons from ${req.headers.origin} are not accepted`,
    };
  }
  if (!owner.beaconLimiter.take(clientAddress)) {
    return { result: 'rate-limited', reason: 'too many beacons from this address' };
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!BEACON_CONTENT_TYPES.has(type)) {
    return {
      result: 'unsupported-type',
      reason: 'a beacon is JSON sent as text/plain or application/json',
    };
  }
  const body = await readBody(req, BEACON_LIMITS.maxBytes);
  if (!body.ok) {
    return body.reason === 'too-large'
      ? { result: 'too-large', reason: `a beacon is at most ${BEACON_LIMITS.maxBytes} bytes` }
      : { result: 'malformed', reason: 'the body was cut off' };
  }
  try {
    const beacon = parseBeacon(JSON.parse(body.body.toString('utf8')));
    if (owner.assetSize) checkBeaconAssets(beacon, owner.assetSize);
    owner.stats.recordBeacon(beacon);
    owner.clientMetrics.record(beacon);
    return { result: 'accepted' };
  } catch (err) {
    if (err instanceof SyntaxError) return { result: 'malformed', reason: 'the body is not JSON' };
    if (!BeaconError.is(err)) throw err;
    return { result: err.code === 'bad-beacon' ? 'malformed' : 'impossible', reason: err.message };
  }
}
