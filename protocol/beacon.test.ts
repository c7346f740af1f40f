import { describe, expect, it } from 'vitest';
import {
  BEACON_FORMAT,
  BEACON_LIMITS,
  type Beacon,
  BeaconError,
  checkBeaconAssets,
  parseBeacon,
} from './beacon.js';

const SIZES = new Map([
  ['/a.jpg', 1000],
  ['/b%20c.css', 10],
]);
const sizeOf = (path: string) => SIZES.get(path);

function beacon(overrides: Partial<Beacon> = {}): Beacon {
  return {
    format: BEACON_FORMAT,
    assets: [
      { path: '/a.jpg', peer: 1000, origin: 0, cache: 0 },
      { path: '/b%20c.css', peer: 0, origin: 10, cache: 0 },
    ],
    ttfb: { peer: [12, 30], origin: [80], cache: [] },
    leader: { uploaded: 2000, peers: 2, dialFailures: 1 },
    ...overrides,
  };
}

function code(run: () => unknown): string | undefined {
  try {
    run();
  } catch (err) {
    if (BeaconError.is(err)) return err.code;
    throw err;
  }
  return undefined;
}

describe('parseBeacon', () => {
  it('accepts a full beacon and one from a tab that is not the leader', () => {
    expect(parseBeacon(beacon())).toEqual(beacon());
    const { leader: _, ...follower } = beacon();
    expect(parseBeacon(follower).leader).toBeUndefined();
    expect(parseBeacon(beacon({ assets: [] })).assets).toEqual([]);
  });

  it.each([
    ['not an object', 'hello'],
    ['another format', { ...beacon(), format: 2 }],
    ['a negative count', beacon({ assets: [{ path: '/a.jpg', peer: -1, origin: 0, cache: 0 }] })],
    [
      'a fractional count',
      beacon({ assets: [{ path: '/a.jpg', peer: 1.5, origin: 0, cache: 0 }] }),
    ],
    ['a count as a string', { ...beacon(), leader: { uploaded: '1', peers: 0, dialFailures: 0 } }],
    ['NaN', beacon({ ttfb: { peer: [Number.NaN], origin: [], cache: [] } })],
    [
      'a path that is not a path',
      beacon({ assets: [{ path: 'a.jpg', peer: 1, origin: 0, cache: 0 }] }),
    ],
    [
      'a duplicate path',
      beacon({
        assets: [
          { path: '/a.jpg', peer: 1, origin: 0, cache: 0 },
          { path: '/a.jpg', peer: 1, origin: 0, cache: 0 },
        ],
      }),
    ],
    ['an unknown field (a page URL, an id)', { ...beacon(), page: 'https://x/y?email=a' }],
    [
      'an unknown asset field',
      beacon({ assets: [{ path: '/a.jpg', peer: 1, origin: 0, cache: 0, id: 'x' } as never] }),
    ],
    [
      'an unknown source',
      { ...beacon(), ttfb: { peer: [], origin: [], cache: [], webtorrent: [] } },
    ],
    [
      'a ttfb past the cap',
      beacon({ ttfb: { peer: [BEACON_LIMITS.maxTtfbMs + 1], origin: [], cache: [] } }),
    ],
    [
      'more peers than an agent can hold',
      beacon({ leader: { uploaded: 0, peers: BEACON_LIMITS.maxPeers + 1, dialFailures: 0 } }),
    ],
    [
      'more uploads than the budget',
      beacon({
        leader: { uploaded: BEACON_LIMITS.maxUploadedBytes + 1, peers: 0, dialFailures: 0 },
      }),
    ],
  ])('refuses %s', (_name, input) => {
    expect(code(() => parseBeacon(input))).toBe('bad-beacon');
  });

  it('refuses oversized lists: too many assets, too many ttfb samples', () => {
    const assets = Array.from({ length: BEACON_LIMITS.maxAssets + 1 }, (_, i) => ({
      path: `/${i}.js`,
      peer: 0,
      origin: 1,
      cache: 0,
    }));
    expect(code(() => parseBeacon(beacon({ assets })))).toBe('bad-beacon');
    const half = Array<number>(BEACON_LIMITS.maxTtfbSamples / 2 + 1).fill(5);
    const ttfb = { peer: half, origin: half, cache: [] };
    expect(code(() => parseBeacon(beacon({ ttfb })))).toBe('bad-beacon');
  });

  it('names the offending field', () => {
    const bad = beacon({ assets: [{ path: '/a.jpg', peer: -1, origin: 0, cache: 0 }] });
    expect(() => parseBeacon(bad)).toThrow(/assets\.0\.peer/);
  });
});

describe('checkBeaconAssets', () => {
  it('accepts what a page could have loaded, a few times over', () => {
    expect(code(() => checkBeaconAssets(beacon(), sizeOf))).toBeUndefined();
    const media = beacon({
      assets: [{ path: '/a.jpg', peer: 2000, origin: 1000, cache: 1000 }],
    });
    expect(code(() => checkBeaconAssets(media, sizeOf))).toBeUndefined();
  });

  it('refuses a path the manifest does not list', () => {
    const unknown = beacon({ assets: [{ path: '/secret.html', peer: 1, origin: 0, cache: 0 }] });
    expect(code(() => checkBeaconAssets(unknown, sizeOf))).toBe('unknown-asset');
  });

  it('refuses more bytes than the asset could account for', () => {
    const limit = 10 * BEACON_LIMITS.maxLoadsPerAsset;
    const over = beacon({ assets: [{ path: '/b%20c.css', peer: limit, origin: 1, cache: 0 }] });
    expect(code(() => checkBeaconAssets(over, sizeOf))).toBe('impossible-bytes');
  });
});
