import { describe, expect, it } from 'vitest';
import {
  BEACON_LIMITS,
  BEACON_PATH,
  type Beacon,
  parseBeacon,
  type ServedReport,
} from '../protocol/index.js';
import { BeaconBatch, type BeaconPlatform, startStatsBeacon } from './stats-beacon.js';

function served(path: string, bytes: Partial<Record<'peer' | 'origin' | 'cache', number>>) {
  const report: ServedReport = {
    type: 'pc:served',
    path,
    source: 'origin',
    peer: 0,
    origin: 0,
    cache: 0,
    ...bytes,
  };
  report.source = report.cache > 0 ? 'cache' : report.peer > report.origin ? 'peer' : 'origin';
  return report;
}

/** A page: the agent's EventTarget, and a browser that records what it sends. */
function page(options: { accept?: () => boolean } = {}) {
  const stats = { bytesUploaded: 0, peers: 0, dialFailures: 0 };
  // The agent counts dial failures by code; a beacon carries their sum.
  const subject = Object.assign(new EventTarget(), {
    leader: false,
    stats: () => ({
      bytesUploaded: stats.bytesUploaded,
      peers: stats.peers,
      dialFailures: { 'ice-failed': stats.dialFailures, 'connect-timeout': 0, 'setup-failed': 0 },
    }),
  });
  const sent: Beacon[] = [];
  let flush = () => {};
  let timing: (path: string, ms: number) => void = () => {};
  const platform: BeaconPlatform = {
    send(url, body) {
      expect(url).toBe(BEACON_PATH);
      expect(new TextEncoder().encode(body).length).toBeLessThanOrEqual(BEACON_LIMITS.maxBytes);
      if (options.accept && !options.accept()) return false;
      sent.push(parseBeacon(JSON.parse(body)));
      return true;
    },
    onHidden: (f) => {
      flush = f;
    },
    observeTimings: (t) => {
      timing = t;
    },
  };
  startStatsBeacon(subject, platform);
  const emit = (type: string, detail?: unknown) =>
    subject.dispatchEvent(new CustomEvent(type, { detail }));
  return {
    stats,
    subject,
    sent,
    hide: () => flush(),
    timing: (path: string, ms: number) => timing(path, ms),
    serve: (report: ServedReport) => emit('asset', report),
    lead: () => {
      subject.leader = true;
      emit('leader');
    },
    peers: (n: number) => {
      stats.peers = n;
      emit('peers', { peers: n });
    },
  };
}

describe('stats beacon', () => {
  it('sends what the page received since the last beacon, per asset, and nothing when idle', () => {
    const p = page();
    p.serve(served('/a.jpg', { peer: 100 }));
    p.serve(served('/a.jpg', { cache: 100 }));
    p.serve(served('/b.css', { origin: 7 }));
    p.hide();
    expect(p.sent).toEqual([
      {
        format: 1,
        assets: [
          { path: '/a.jpg', peer: 100, origin: 0, cache: 100 },
          { path: '/b.css', peer: 0, origin: 7, cache: 0 },
        ],
        ttfb: { peer: [], origin: [], cache: [] },
      },
    ]);
    p.hide();
    expect(p.sent).toHaveLength(1);
    p.serve(served('/b.css', { cache: 7 }));
    p.hide();
    expect(p.sent[1]?.assets).toEqual([{ path: '/b.css', peer: 0, origin: 0, cache: 7 }]);
  });

  it("matches each response's first-byte time with its source, whichever comes first", () => {
    const p = page();
    p.timing('/a.jpg', 12.4);
    p.serve(served('/a.jpg', { peer: 1 }));
    p.serve(served('/b.css', { cache: 1 }));
    p.timing('/b.css', 3);
    p.timing('/index.html', 50);
    p.serve(served('/c.js', { origin: 1 }));
    p.hide();
    expect(p.sent[0]?.ttfb).toEqual({ peer: [12], origin: [], cache: [3] });
    p.timing('/c.js', 80);
    p.hide();
    expect(p.sent[1]).toMatchObject({ assets: [], ttfb: { origin: [80] } });
  });

  it('adds upload, peer and dial figures only as the leader, counted from taking the lead', () => {
    const p = page();
    p.stats.bytesUploaded = 500; // mirrored from the previous leader
    p.serve(served('/a.jpg', { peer: 1 }));
    p.hide();
    expect(p.sent[0]?.leader).toBeUndefined();
    p.lead();
    p.peers(3);
    p.peers(1);
    p.stats.bytesUploaded = 800;
    p.stats.dialFailures = 2;
    p.hide();
    expect(p.sent[1]).toMatchObject({
      assets: [],
      leader: { uploaded: 300, peers: 3, dialFailures: 2 },
    });
    p.stats.bytesUploaded = 900;
    p.hide();
    expect(p.sent[2]?.leader).toEqual({ uploaded: 100, peers: 1, dialFailures: 0 });
  });

  it('splits a big batch into beacons the origin accepts', () => {
    const p = page();
    const count = BEACON_LIMITS.maxAssets * 2 + 3;
    for (let i = 0; i < count; i++)
      p.serve(served(`/assets/${'x'.repeat(40)}-${i}.js`, { origin: 1 }));
    p.hide();
    expect(p.sent.length).toBeGreaterThan(2);
    expect(p.sent.flatMap((b) => b.assets)).toHaveLength(count);
  });

  it('keeps what the browser refused to queue for the next time the page hides', () => {
    let accept = false;
    const p = page({ accept: () => accept });
    p.lead();
    p.stats.bytesUploaded = 10;
    p.serve(served('/a.jpg', { peer: 5 }));
    p.timing('/a.jpg', 9);
    p.hide();
    expect(p.sent).toEqual([]);
    accept = true;
    p.serve(served('/a.jpg', { peer: 5 }));
    p.hide();
    expect(p.sent).toEqual([
      {
        format: 1,
        assets: [{ path: '/a.jpg', peer: 10, origin: 0, cache: 0 }],
        ttfb: { peer: [9], origin: [], cache: [] },
        leader: { uploaded: 10, peers: 0, dialFailures: 0 },
      },
    ]);
  });
});

describe('BeaconBatch', () => {
  it('caps samples per beacon and what waits unmatched', () => {
    const batch = new BeaconBatch();
    for (let i = 0; i < BEACON_LIMITS.maxTtfbSamples + 10; i++) {
      batch.timing('/a', BEACON_LIMITS.maxTtfbMs * 2);
      batch.served(served('/a', { origin: 1 }));
    }
    const [beacon] = batch.take(undefined);
    expect(beacon?.ttfb.origin).toHaveLength(BEACON_LIMITS.maxTtfbSamples);
    expect(Math.max(...(beacon?.ttfb.origin ?? []))).toBe(BEACON_LIMITS.maxTtfbMs);
    for (let i = 0; i < 10_000; i++) batch.timing(`/poll?${i % 1000}`, 1);
    for (let i = 0; i < 10_000; i++) batch.timing('/poll', 1);
    const held = (batch as unknown as { timings: Map<string, number[]> }).timings;
    expect(held.size).toBeLessThanOrEqual(512);
    expect(held.get('/poll')?.length).toBeLessThanOrEqual(8);
  });
});
