import {
  BEACON_SOURCES,
  type Beacon,
  type BeaconSource,
  DASHBOARD_WINDOW_MINUTES,
  type DashboardData,
  MINUTE_MS,
} from '../protocol/index.js';

const MINUTES_PER_HOUR = 60;
const HOUR_MS = MINUTES_PER_HOUR * MINUTE_MS;
const WINDOW_HOURS = DASHBOARD_WINDOW_MINUTES / MINUTES_PER_HOUR;

export const STATS_WINDOW_LIMITS = {
  /** Assets remembered per hour; past it the one peers carried least is forgotten. */
  maxAssetsPerHour: 1000,
  /** Assets the dashboard lists. */
  topAssets: 10,
} as const;

type Tally = Record<BeaconSource, number>;

interface Minute {
  readonly minute: number;
  readonly bytes: Tally;
  uploaded: number;
  originServed: number;
  beacons: number;
  dialFailures: number;
  peersOnline: number | null;
  readonly ttfbSum: Tally;
  readonly ttfbCount: Tally;
}

interface AssetBytes {
  peer: number;
  origin: number;
}

interface Hour {
  readonly hour: number;
  readonly assets: Map<string, AssetBytes>;
}

const zero = (): Tally => ({ peer: 0, origin: 0, cache: 0 });

/**
 * The last 24 hours of what visitors reported and what the origin sent, in memory and bounded:
 * a ring of per-minute totals (1440 slots) and a ring of per-hour asset maps (24 slots of at
 * most STATS_WINDOW_LIMITS.maxAssetsPerHour paths). Top assets are therefore exact to the hour.
 */
export class StatsWindow {
  private readonly minutes: Array<Minute | undefined> = new Array(DASHBOARD_WINDOW_MINUTES);
  private readonly hours: Array<Hour | undefined> = new Array(WINDOW_HOURS);
  private readonly startedMinute: number;

  constructor(private readonly now: () => number = Date.now) {
    this.startedMinute = Math.floor(now() / MINUTE_MS);
  }

  recordBeacon(beacon: Beacon): void {
    const minute = this.currentMinute();
    minute.beacons++;
    const hour = this.currentHour();
    for (const asset of beacon.assets) {
      for (const source of BEACON_SOURCES) minute.bytes[source] += asset[source];
      if (asset.peer > 0 || asset.origin > 0) addAsset(hour.assets, asset.path, asset);
    }
    for (const source of BEACON_SOURCES) {
      for (const ms of beacon.ttfb[source]) {
        minute.ttfbSum[source] += ms;
        minute.ttfbCount[source]++;
      }
    }
    if (beacon.leader) {
      minute.uploaded += beacon.leader.uploaded;
      minute.dialFailures += beacon.leader.dialFailures;
    }
  }

  /** Asset body bytes the origin itself wrote. */
  recordOriginServed(bytes: number): void {
    this.currentMinute().originServed += bytes;
  }

  /** A sample of the open signaling connections; a minute keeps its highest. */
  recordPeersOnline(peers: number): void {
    const minute = this.currentMinute();
    minute.peersOnline = Math.max(minute.peersOnline ?? 0, peers);
  }

  /** Everything the dashboard shows but the live figures, over the last 24 hours. */
  snapshot(): Omit<DashboardData, 'live'> {
    const now = this.now();
    const last = Math.floor(now / MINUTE_MS);
    const first = Math.max(this.startedMinute, last - DASHBOARD_WINDOW_MINUTES + 1);
    const series: DashboardData['minutes'] = {
      peer: [],
      origin: [],
      cache: [],
      uploaded: [],
      originServed: [],
      peersOnline: [],
    };
    const totals = { ...zero(), uploaded: 0, originServed: 0, beacons: 0, dialFailures: 0 };
    const ttfbSum = zero();
    const ttfbCount = zero();
    for (let m = first; m <= last; m++) {
      const slot = this.minutes[m % DASHBOARD_WINDOW_MINUTES];
      const minute = slot?.minute === m ? slot : undefined;
      for (const source of BEACON_SOURCES) {
        const bytes = minute?.bytes[source] ?? 0;
        series[source].push(bytes);
        totals[source] += bytes;
        ttfbSum[source] += minute?.ttfbSum[source] ?? 0;
        ttfbCount[source] += minute?.ttfbCount[source] ?? 0;
      }
      series.uploaded.push(minute?.uploaded ?? 0);
      series.originServed.push(minute?.originServed ?? 0);
      series.peersOnline.push(minute?.peersOnline ?? null);
      totals.uploaded += minute?.uploaded ?? 0;
      totals.originServed += minute?.originServed ?? 0;
      totals.beacons += minute?.beacons ?? 0;
      totals.dialFailures += minute?.dialFailures ?? 0;
    }
    const mean = (source: BeaconSource) =>
      ttfbCount[source] === 0 ? null : ttfbSum[source] / ttfbCount[source];
    return {
      now,
      start: first * MINUTE_MS,
      minutes: series,
      totals,
      ttfbMs: { peer: mean('peer'), origin: mean('origin'), cache: mean('cache') },
      topAssets: this.topAssets(Math.floor(now / HOUR_MS)),
    };
  }

  private topAssets(currentHour: number): DashboardData['topAssets'] {
    const merged = new Map<string, AssetBytes>();
    for (const hour of this.hours) {
      if (!hour || hour.hour <= currentHour - WINDOW_HOURS) continue;
      for (const [path, bytes] of hour.assets) {
        const sum = merged.get(path) ?? { peer: 0, origin: 0 };
        sum.peer += bytes.peer;
        sum.origin += bytes.origin;
        merged.set(path, sum);
      }
    }
    return [...merged]
      .filter(([, bytes]) => bytes.peer > 0)
      .sort(([, a], [, b]) => b.peer - a.peer)
      .slice(0, STATS_WINDOW_LIMITS.topAssets)
      .map(([path, bytes]) => ({ path, ...bytes }));
  }

  private currentMinute(): Minute {
    const m = Math.floor(this.now() / MINUTE_MS);
    const index = m % DASHBOARD_WINDOW_MINUTES;
    const slot = this.minutes[index];
    if (slot?.minute === m) return slot;
    const fresh: Minute = {
      minute: m,
      bytes: zero(),
      uploaded: 0,
      originServed: 0,
      beacons: 0,
      dialFailures: 0,
      peersOnline: null,
      ttfbSum: zero(),
      ttfbCount: zero(),
    };
    this.minutes[index] = fresh;
    return fresh;
  }

  private currentHour(): Hour {
    const h = Math.floor(this.now() / HOUR_MS);
    const index = h % WINDOW_HOURS;
    const slot = this.hours[index];
    if (slot?.hour === h) return slot;
    const fresh: Hour = { hour: h, assets: new Map() };
    this.hours[index] = fresh;
    return fresh;
  }
}

/** Adds to an hour's map; when it is full, a new path replaces the one peers carried least. */
function addAsset(assets: Map<string, AssetBytes>, path: string, add: AssetBytes): void {
  const held = assets.get(path);
  if (held) {
    held.peer += add.peer;
    held.origin += add.origin;
    return;
  }
  if (assets.size >= STATS_WINDOW_LIMITS.maxAssetsPerHour) {
    let least: [string, AssetBytes] | undefined;
    for (const entry of assets) if (!least || entry[1].peer < least[1].peer) least = entry;
    if (!least || least[1].peer >= add.peer) return;
    assets.delete(least[0]);
  }
  assets.set(path, { peer: add.peer, origin: add.origin });
}
