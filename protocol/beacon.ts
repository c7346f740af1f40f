import * as v from 'valibot';
import { defineCodedError } from './coded-error.js';
import { KIB, MIB } from './constants.js';
import { MANIFEST_LIMITS } from './manifest.js';
import { parseOrThrow } from './parse-or-throw.js';

/**
 * The stats beacon: what one page tells the origin, with `navigator.sendBeacon`, about how its
 * assets reached it since its last beacon. Aggregates only: no page URL, no id of any kind,
 * asset paths only as the manifest lists them. The upload, peer and dial figures belong to the
 * leader tab (it holds the connections of every tab), so only the leader sends them.
 */
export const BEACON_PATH = '/peerconnect/stats';
export const BEACON_FORMAT = 1;

export const BEACON_SOURCES = ['peer', 'origin', 'cache'] as const;
export type BeaconSource = (typeof BEACON_SOURCES)[number];

export const BEACON_LIMITS = {
  /** The body, as the origin reads it; the sender splits a bigger batch into several beacons. */
  maxBytes: 16 * KIB,
  maxAssets: 256,
  /** Time-to-first-byte samples of one beacon, all sources together. */
  maxTtfbSamples: 256,
  maxTtfbMs: 120_000,
  /**
   * Bytes one beacon may claim for an asset, in asset sizes: a page may load an asset more than
   * once (media ranges, a script fetched twice), but a claim past this is not a real page.
   */
  maxLoadsPerAsset: 4,
  /** The agent's upload budget for a session (page/config.ts uploadBudgetBytes). */
  maxUploadedBytes: 512 * MIB,
  /** Well above the agent's cap on peer connections (16). */
  maxPeers: 64,
  maxDialFailures: 10_000,
} as const;

export const BeaconError = defineCodedError('BeaconError', {
  'bad-beacon': 'the stats beacon is malformed',
  'unknown-asset': 'the stats beacon names an asset the manifest does not list',
  'impossible-bytes': 'the stats beacon claims more bytes than the asset could account for',
});
export type BeaconError = InstanceType<typeof BeaconError>;

const Count = (max: number) =>
  v.pipe(
    v.number(),
    v.integer(),
    v.minValue(0),
    v.maxValue(Math.min(max, Number.MAX_SAFE_INTEGER)),
  );
const Bytes = Count(Number.MAX_SAFE_INTEGER);
const Ttfb = v.pipe(
  v.array(Count(BEACON_LIMITS.maxTtfbMs)),
  v.maxLength(BEACON_LIMITS.maxTtfbSamples),
);

const AssetSchema = v.strictObject({
  path: v.pipe(v.string(), v.startsWith('/'), v.maxLength(MANIFEST_LIMITS.maxPathLength)),
  peer: Bytes,
  origin: Bytes,
  cache: Bytes,
});

const BeaconSchema = v.pipe(
  v.strictObject({
    format: v.literal(BEACON_FORMAT),
    assets: v.pipe(
      v.array(AssetSchema),
      v.maxLength(BEACON_LIMITS.maxAssets),
      v.check(
        (assets) => new Set(assets.map((a) => a.path)).size === assets.length,
        'duplicate path',
      ),
    ),
    ttfb: v.strictObject({ peer: Ttfb, origin: Ttfb, cache: Ttfb }),
    leader: v.optional(
      v.strictObject({
        uploaded: Count(BEACON_LIMITS.maxUploadedBytes),
        peers: Count(BEACON_LIMITS.maxPeers),
        dialFailures: Count(BEACON_LIMITS.maxDialFailures),
      }),
    ),
  }),
  v.check(
    (b) =>
      b.ttfb.peer.length + b.ttfb.origin.length + b.ttfb.cache.length <=
      BEACON_LIMITS.maxTtfbSamples,
    'too many ttfb samples',
  ),
);

export type Beacon = v.InferOutput<typeof BeaconSchema>;
export type BeaconAsset = Beacon['assets'][number];

/** Checks the shape of an untrusted beacon; throws BeaconError('bad-beacon') naming the field. */
export function parseBeacon(input: unknown): Beacon {
  return parseOrThrow(BeaconSchema, input, (details) => new BeaconError('bad-beacon', details));
}

/**
 * Checks a well-formed beacon against the manifest: every path must be an asset, and no asset
 * may be claimed for more than BEACON_LIMITS.maxLoadsPerAsset times its size.
 */
export function checkBeaconAssets(
  beacon: Beacon,
  sizeOf: (path: string) => number | undefined,
): void {
  for (const asset of beacon.assets) {
    const size = sizeOf(asset.path);
    if (size === undefined) throw new BeaconError('unknown-asset', asset.path);
    if (asset.peer + asset.origin + asset.cache > size * BEACON_LIMITS.maxLoadsPerAsset) {
      throw new BeaconError('impossible-bytes', `${asset.path} (${size} bytes)`);
    }
  }
}
