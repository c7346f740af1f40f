import {
  BEACON_FORMAT,
  BEACON_LIMITS,
  BEACON_PATH,
  BEACON_SOURCES,
  type Beacon,
  type BeaconSource,
  type DialStats,
  type ServedReport,
} from '../protocol/index.js';

/** What the beacon reads from the agent: `window.peerconnect` (PeerConnectApi) is one. */
export interface BeaconSubject extends EventTarget {
  /** This tab holds the origin's peer connections (its upload and peer figures are its own). */
  readonly leader: boolean;
  stats(): { bytesUploaded: number; peers: number; dialFailures: DialStats['dialFailures'] };
}

/** What the beacon needs of the browser; tests pass fakes. */
export interface BeaconPlatform {
  /** `navigator.sendBeacon`: false when the browser would not queue it. */
  send(url: string, body: string): boolean;
  /** Calls `flush` whenever the page may be going away. */
  onHidden(flush: () => void): void;
  /** Reports each resource's time to first byte as it finishes loading. */
  observeTimings(onTiming: (path: string, ms: number) => void): void;
}

/**
 * Resource timings and served reports held while waiting for their other half, by path and per
 * path: a page polling a URL the worker never reports on must not grow them without end.
 */
const MAX_UNMATCHED_PATHS = 512;
const MAX_UNMATCHED_PER_PATH = 8;

type AssetBytes = Record<BeaconSource, number>;
type LeaderFigures = NonNullable<Beacon['leader']>;

/**
 * One page's figures since its last beacon: bytes per asset and source (from the worker's
 * served reports) and time-to-first-byte samples, each matched with the source of the same
 * response: the resource timing entry and the worker's report arrive in either order.
 */
export class BeaconBatch {
  private assets = new Map<string, AssetBytes>();
  private ttfb: Record<BeaconSource, number[]> = { peer: [], origin: [], cache: [] };
  private readonly timings = new Map<string, number[]>();
  private readonly waiting = new Map<string, BeaconSource[]>();

  served(report: ServedReport): void {
    const bytes = this.assets.get(report.path) ?? { peer: 0, origin: 0, cache: 0 };
    for (const source of BEACON_SOURCES) bytes[source] += report[source];
    this.assets.set(report.path, bytes);
    const ms = this.timings.get(report.path)?.shift();
    if (ms === undefined) push(this.waiting, report.path, report.source);
    else this.sample(report.source, ms);
  }

  timing(path: string, ms: number): void {
    const source = this.waiting.get(path)?.shift();
    if (source === undefined) push(this.timings, path, ms);
    else this.sample(source, ms);
  }

  /**
   * Takes everything gathered as beacons no bigger than the origin accepts: the first carries
   * the samples and `leader`. The batch is empty afterwards; `restore` puts back one not sent.
   */
  take(leader: LeaderFigures | undefined): Beacon[] {
    const beacons: Beacon[] = [];
    let current: Beacon = { format: BEACON_FORMAT, assets: [], ttfb: this.ttfb };
    if (leader) current.leader = leader;
    let size = jsonBytes(current);
    for (const [path, bytes] of this.assets) {
      const entry = { path, ...bytes };
      const entryBytes = jsonBytes(entry) + 1;
      const full =
        current.assets.length >= BEACON_LIMITS.maxAssets ||
        size + entryBytes > BEACON_LIMITS.maxBytes;
      if (full && current.assets.length > 0) {
        beacons.push(current);
        current = { format: BEACON_FORMAT, assets: [], ttfb: { peer: [], origin: [], cache: [] } };
        size = jsonBytes(current);
      }
      current.assets.push(entry);
      size += entryBytes;
    }
    beacons.push(current);
    this.assets = new Map();
    this.ttfb = { peer: [], origin: [], cache: [] };
    return beacons.filter((b) => b.assets.length > 0 || b.leader || sampleCount(b.ttfb) > 0);
  }

  restore(beacon: Beacon): void {
    for (const { path, ...bytes } of beacon.assets) {
      const held = this.assets.get(path) ?? { peer: 0, origin: 0, cache: 0 };
      for (const source of BEACON_SOURCES) held[source] += bytes[source];
      this.assets.set(path, held);
    }
    for (const source of BEACON_SOURCES) {
      for (const ms of beacon.ttfb[source]) this.sample(source, ms);
    }
  }

  private sample(source: BeaconSource, ms: number): void {
    if (sampleCount(this.ttfb) >= BEACON_LIMITS.maxTtfbSamples) return;
    this.ttfb[source].push(Math.min(Math.max(Math.round(ms), 0), BEACON_LIMITS.maxTtfbMs));
  }
}

/** Appends to a keyed queue, forgetting the oldest entries past the caps. */
function push<T>(queues: Map<string, T[]>, key: string, value: T): void {
  const queue = queues.get(key);
  if (!queue) queues.set(key, [value]);
  else if (queue.push(value) > MAX_UNMATCHED_PER_PATH) queue.shift();
  if (queues.size > MAX_UNMATCHED_PATHS) queues.delete(queues.keys().next().value!);
}

function sampleCount(ttfb: Beacon['ttfb']): number {
  return ttfb.peer.length + ttfb.origin.length + ttfb.cache.length;
}

function jsonBytes(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}

/**
 * Sends this page's stats to the origin whenever it is hidden or left (the moments the
 * platform guarantees a beacon still goes out), as deltas since the last beacon. Only the
 * leader tab adds the upload, peer and dial figures, counted from when it became the leader
 * (before that it mirrored the previous leader's).
 */
export function startStatsBeacon(
  subject: BeaconSubject,
  platform: BeaconPlatform = browserPlatform(),
  url: string = BEACON_PATH,
): void {
  const batch = new BeaconBatch();
  let sent = { bytesUploaded: 0, dialFailures: 0 };
  let mostPeers = 0;
  subject.addEventListener('asset', (event) =>
    batch.served((event as CustomEvent<ServedReport>).detail),
  );
  subject.addEventListener('peers', (event) => {
    mostPeers = Math.max(mostPeers, (event as CustomEvent<{ peers: number }>).detail.peers);
  });
  subject.addEventListener('leader', () => {
    sent = counted(subject.stats());
  });
  platform.observeTimings((path, ms) => batch.timing(path, ms));
  platform.onHidden(() => {
    const current = subject.stats();
    const now = { ...counted(current), peers: current.peers };
    const leader = subject.leader ? leaderFigures(now, sent, mostPeers) : undefined;
    const beacons = batch.take(leader);
    beacons.forEach((beacon, i) => {
      if (platform.send(url, JSON.stringify(beacon))) {
        if (i === 0 && leader) sent = now;
        return;
      }
      batch.restore(beacon);
    });
    mostPeers = now.peers;
  });
}

/** The running totals a beacon sends the growth of. */
function counted(stats: ReturnType<BeaconSubject['stats']>): {
  bytesUploaded: number;
  dialFailures: number;
} {
  const dialFailures = Object.values(stats.dialFailures).reduce((sum, n) => sum + n, 0);
  return { bytesUploaded: stats.bytesUploaded, dialFailures };
}

function leaderFigures(
  now: { bytesUploaded: number; dialFailures: number; peers: number },
  sent: { bytesUploaded: number; dialFailures: number },
  mostPeers: number,
): LeaderFigures | undefined {
  const clamp = (value: number, max: number) => Math.min(Math.max(value, 0), max);
  const figures = {
    uploaded: clamp(now.bytesUploaded - sent.bytesUploaded, BEACON_LIMITS.maxUploadedBytes),
    peers: clamp(Math.max(mostPeers, now.peers), BEACON_LIMITS.maxPeers),
    dialFailures: clamp(now.dialFailures - sent.dialFailures, BEACON_LIMITS.maxDialFailures),
  };
  return figures.uploaded || figures.peers || figures.dialFailures ? figures : undefined;
}

function browserPlatform(): BeaconPlatform {
  return {
    send: (url, body) => navigator.sendBeacon(url, body),
    onHidden(flush) {
      // Once per hidden period: an unload fires both visibilitychange and pagehide.
      let hidden = false;
      const flushOnce = () => {
        if (hidden) return;
        hidden = true;
        flush();
      };
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'hidden') flushOnce();
        else hidden = false;
      });
      // Where visibilitychange does not fire on unload (older Safari), pagehide does.
      window.addEventListener('pagehide', flushOnce);
      window.addEventListener('pageshow', () => {
        hidden = false;
      });
    },
    observeTimings(onTiming) {
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries() as PerformanceResourceTiming[]) {
          const url = new URL(entry.name);
          // Zero when the browser withholds the timing; such a response tells nothing.
          if (url.origin !== location.origin || entry.responseStart <= 0) continue;
          onTiming(url.pathname, entry.responseStart - entry.startTime);
        }
      }).observe({ type: 'resource', buffered: true });
    },
  };
}
