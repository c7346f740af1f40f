import { describe, expect, it } from 'vitest';
import {
  BEACON_FORMAT,
  type Beacon,
  type BeaconAsset,
  DASHBOARD_WINDOW_MINUTES,
  MINUTE_MS,
} from '../protocol/index.js';
import { STATS_WINDOW_LIMITS, StatsWindow } from './stats-window.js';

const HOUR_MS = 60 * MINUTE_MS;
const START = Date.parse('2025-01-01T00:00:00Z');

function clock() {
  let now = START;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function beacon(assets: BeaconAsset[], extra: Partial<Beacon> = {}): Beacon {
  return { format: BEACON_FORMAT, assets, ttfb: { peer: [], origin: [], cache: [] }, ...extra };
}

const asset = (path: string, peer: number, origin = 0, cache = 0): BeaconAsset => ({
  path,
  peer,
  origin,
  cache,
});

describe('StatsWindow', () => {
  it('adds beacons, origin bytes and peer samples into per-minute series', () => {
    const time = clock();
    const stats = new StatsWindow(time.now);
    stats.recordBeacon(
      beacon([asset('/a', 100, 10, 5), asset('/b', 0, 20)], {
        ttfb: { peer: [10, 30], origin: [100], cache: [] },
        leader: { uploaded: 300, peers: 2, dialFailures: 1 },
      }),
    );
    stats.recordOriginServed(30);
    stats.recordPeersOnline(3);
    stats.recordPeersOnline(1);
    time.advance(2 * MINUTE_MS);
    stats.recordBeacon(beacon([asset('/a', 50)]));

    const snap = stats.snapshot();
    expect(snap.start).toBe(START);
    expect(snap.minutes).toEqual({
      peer: [100, 0, 50],
      origin: [30, 0, 0],
      cache: [5, 0, 0],
      uploaded: [300, 0, 0],
      originServed: [30, 0, 0],
      peersOnline: [3, null, null],
    });
    expect(snap.totals).toEqual({
      peer: 150,
      origin: 30,
      cache: 5,
      uploaded: 300,
      originServed: 30,
      beacons: 2,
      dialFailures: 1,
    });
    expect(snap.ttfbMs).toEqual({ peer: 20, origin: 100, cache: null });
    expect(snap.topAssets).toEqual([{ path: '/a', peer: 150, origin: 10 }]);
  });

  it('keeps exactly the last 24 hours, and reuses the slots of older minutes', () => {
    const time = clock();
    const stats = new StatsWindow(time.now);
    stats.recordBeacon(beacon([asset('/old', 7)]));
    time.advance(DASHBOARD_WINDOW_MINUTES * MINUTE_MS - MINUTE_MS);
    // The last minute of the window: the first one is still in it.
    expect(stats.snapshot().totals.peer).toBe(7);
    expect(stats.snapshot().minutes.peer).toHaveLength(DASHBOARD_WINDOW_MINUTES);

    time.advance(MINUTE_MS);
    // The same ring slot as the first minute, a day later.
    stats.recordBeacon(beacon([asset('/new', 1)]));
    const snap = stats.snapshot();
    expect(snap.minutes.peer).toHaveLength(DASHBOARD_WINDOW_MINUTES);
    expect(snap.start).toBe(START + MINUTE_MS);
    expect(snap.totals.peer).toBe(1);
    expect(snap.minutes.peer.at(-1)).toBe(1);
    expect(snap.topAssets.map((a) => a.path)).toEqual(['/new']);

    time.advance(3 * DASHBOARD_WINDOW_MINUTES * MINUTE_MS);
    expect(stats.snapshot().totals.peer).toBe(0);
    expect(stats.snapshot().topAssets).toEqual([]);
  });

  it('ranks top assets over the hours of the window, by peer bytes, capped in length', () => {
    const time = clock();
    const stats = new StatsWindow(time.now);
    const paths = Array.from({ length: STATS_WINDOW_LIMITS.topAssets + 5 }, (_, i) => `/${i}`);
    stats.recordBeacon(beacon(paths.map((path, i) => asset(path, i + 1))));
    time.advance(HOUR_MS);
    stats.recordBeacon(beacon([asset('/0', 1000), asset('/origin-only', 0, 99)]));
    const top = stats.snapshot().topAssets;
    expect(top).toHaveLength(STATS_WINDOW_LIMITS.topAssets);
    expect(top[0]).toEqual({ path: '/0', peer: 1001, origin: 0 });
    expect(top[1]?.path).toBe(`/${paths.length - 1}`);
    expect(top.some((a) => a.path === '/origin-only')).toBe(false);
  });

  it('bounds the paths held per hour, forgetting the least carried first', () => {
    const time = clock();
    const stats = new StatsWindow(time.now);
    const max = STATS_WINDOW_LIMITS.maxAssetsPerHour;
    stats.recordBeacon(beacon(Array.from({ length: 200 }, (_, i) => asset(`/small${i}`, 1))));
    for (let i = 0; i < max; i += 200) {
      stats.recordBeacon(beacon(Array.from({ length: 200 }, (_, j) => asset(`/big${i + j}`, 10))));
    }
    // Full: a newcomer carrying less than the least held is not kept, one carrying more is.
    stats.recordBeacon(beacon([asset('/tiny', 1), asset('/huge', 10_000)]));
    const held = (stats as unknown as { hours: Array<{ assets: Map<string, unknown> }> }).hours
      .filter(Boolean)
      .map((hour) => hour.assets);
    expect(held).toHaveLength(1);
    const assets = held[0]!;
    expect(assets.size).toBe(max);
    expect(assets.has('/huge')).toBe(true);
    expect(assets.has('/tiny')).toBe(false);
    expect([...assets.keys()].filter((path) => path.startsWith('/small'))).toHaveLength(0);
    expect(stats.snapshot().topAssets[0]?.path).toBe('/huge');
  });

  it('holds at most 1440 minutes however long it runs', () => {
    const time = clock();
    const stats = new StatsWindow(time.now);
    for (let i = 0; i < 3 * DASHBOARD_WINDOW_MINUTES; i++) {
      stats.recordOriginServed(1);
      time.advance(MINUTE_MS);
    }
    const minutes = (stats as unknown as { minutes: unknown[] }).minutes;
    expect(minutes).toHaveLength(DASHBOARD_WINDOW_MINUTES);
    expect(stats.snapshot().totals.originServed).toBe(DASHBOARD_WINDOW_MINUTES - 1);
  });
});
