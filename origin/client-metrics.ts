import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { BEACON_SOURCES, type Beacon, offloadRatio } from '../protocol/index.js';

/** Why a beacon was refused, or `accepted`: a flood or a broken sender shows up here. */
export type BeaconResult =
  | 'accepted'
  | 'malformed'
  | 'impossible'
  | 'too-large'
  | 'rate-limited'
  | 'forbidden-origin'
  | 'unsupported-type';

export const CLIENT_METRIC_NAMES = {
  bytes: 'peerconnect_client_bytes_total',
  uploaded: 'peerconnect_client_uploaded_bytes_total',
  dialFailures: 'peerconnect_client_dial_failures_total',
  ttfb: 'peerconnect_client_ttfb_seconds',
  peers: 'peerconnect_client_peers',
  beacons: 'peerconnect_client_beacons_total',
  offload: 'peerconnect_client_offload_ratio',
} as const;

const MS_PER_SECOND = 1000;
const TTFB_BUCKETS_S = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Peer connections one visitor held: the agent caps them at 16. */
const PEERS_BUCKETS = [0, 1, 2, 4, 8, 16];

export interface ClientMetrics {
  record(beacon: Beacon): void;
  counted(result: BeaconResult): void;
}

/**
 * What visitors report in their beacons, as Prometheus series beside the origin's own: bytes by
 * source, uploads, dial failures, time to first byte, peers per visitor, and the offload ratio
 * (peer / (peer + origin), as visitors report it) read at scrape time.
 */
export function createClientMetrics(registry: Registry): ClientMetrics {
  const registers = [registry];
  const bytes = new Counter({
    name: CLIENT_METRIC_NAMES.bytes,
    help: 'Asset bytes visitors received, by source (peer, origin, cache), as their beacons report.',
    labelNames: ['source'] as const,
    registers,
  });
  for (const source of BEACON_SOURCES) bytes.inc({ source }, 0);
  const uploaded = new Counter({
    name: CLIENT_METRIC_NAMES.uploaded,
    help: 'Bytes visitors uploaded to other visitors, as their beacons report.',
    registers,
  });
  const dialFailures = new Counter({
    name: CLIENT_METRIC_NAMES.dialFailures,
    help: 'Peer connections visitors tried that never opened.',
    registers,
  });
  const ttfb = new Histogram({
    name: CLIENT_METRIC_NAMES.ttfb,
    help: 'Time to first byte of an asset as the page saw it, by source.',
    labelNames: ['source'] as const,
    buckets: TTFB_BUCKETS_S,
    registers,
  });
  const peers = new Histogram({
    name: CLIENT_METRIC_NAMES.peers,
    help: 'Most peer connections a visitor held between two beacons.',
    buckets: PEERS_BUCKETS,
    registers,
  });
  const beacons = new Counter({
    name: CLIENT_METRIC_NAMES.beacons,
    help: 'Stats beacons received, by result.',
    labelNames: ['result'] as const,
    registers,
  });
  const totals = { peer: 0, origin: 0 };
  new Gauge({
    name: CLIENT_METRIC_NAMES.offload,
    help: 'Share of asset bytes visitors got from peers rather than the origin (cache left out).',
    registers,
    collect() {
      this.set(offloadRatio(totals.peer, totals.origin) ?? 0);
    },
  });
  return {
    record(beacon) {
      for (const asset of beacon.assets) {
        for (const source of BEACON_SOURCES) bytes.inc({ source }, asset[source]);
        totals.peer += asset.peer;
        totals.origin += asset.origin;
      }
      for (const source of BEACON_SOURCES) {
        for (const ms of beacon.ttfb[source]) ttfb.observe({ source }, ms / MS_PER_SECOND);
      }
      if (beacon.leader) {
        uploaded.inc(beacon.leader.uploaded);
        dialFailures.inc(beacon.leader.dialFailures);
        peers.observe(beacon.leader.peers);
      }
    },
    counted(result) {
      beacons.inc({ result });
    },
  };
}
