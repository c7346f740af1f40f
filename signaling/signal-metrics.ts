import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RefusalReason } from './signal-limits.js';

/** Relay latency buckets, in seconds: a relay is a parse and a send, well under a millisecond. */
const RELAY_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export interface SignalMetrics {
  /** Valid client messages received, by type. */
  readonly messages: Counter<'type'>;
  /** Errors sent to clients (and oversized frames, which ws closes itself), by code. */
  readonly errors: Counter<'code'>;
  /** Upgrades refused, connections closed and relays dropped by the server, by reason. */
  readonly refusals: Counter<'reason'>;
  /** Seconds from a `signal` frame's receipt to its relay's send. */
  readonly relaySeconds: Histogram;
  refuse(reason: RefusalReason): void;
  /** Unregisters every metric, so a restarted server can register them again. */
  remove(): void;
}

/** Metric names, for readers of the registry (the owner's dashboard). */
export const SIGNAL_METRIC_NAMES = {
  connections: 'peerconnect_signal_connections',
  swarms: 'peerconnect_signal_swarms',
  largestSwarm: 'peerconnect_signal_largest_swarm_peers',
  announcedIds: 'peerconnect_signal_announced_ids',
  messages: 'peerconnect_signal_messages_total',
  errors: 'peerconnect_signal_errors_total',
  refusals: 'peerconnect_signal_refusals_total',
  relaySeconds: 'peerconnect_signal_relay_seconds',
} as const;

/** Gauges are read from live state at scrape time, so they can never drift from it. */
export function createSignalMetrics(
  registry: Registry,
  live: {
    connections(): number;
    swarms(): number;
    largestSwarm(): number;
    announcedIds(): number;
  },
): SignalMetrics {
  const registers = [registry];
  new Gauge({
    name: SIGNAL_METRIC_NAMES.connections,
    help: 'Open signaling WebSocket connections.',
    registers,
    collect() {
      this.set(live.connections());
    },
  });
  new Gauge({
    name: SIGNAL_METRIC_NAMES.swarms,
    help: 'Swarms (sites) with at least one joined peer.',
    registers,
    collect() {
      this.set(live.swarms());
    },
  });
  new Gauge({
    name: SIGNAL_METRIC_NAMES.largestSwarm,
    help: 'Peers joined to the largest swarm.',
    registers,
    collect() {
      this.set(live.largestSwarm());
    },
  });
  new Gauge({
    name: SIGNAL_METRIC_NAMES.announcedIds,
    help: 'Content ids announced and held in memory, counted once per announcing peer.',
    registers,
    collect() {
      this.set(live.announcedIds());
    },
  });
  const messages = new Counter({
    name: SIGNAL_METRIC_NAMES.messages,
    help: 'Valid signaling messages received, by type.',
    labelNames: ['type'] as const,
    registers,
  });
  const errors = new Counter({
    name: SIGNAL_METRIC_NAMES.errors,
    help: 'Signaling errors answered to clients, by code.',
    labelNames: ['code'] as const,
    registers,
  });
  const refusals = new Counter({
    name: SIGNAL_METRIC_NAMES.refusals,
    help: 'Upgrades refused, connections closed and relays dropped by the server, by reason.',
    labelNames: ['reason'] as const,
    registers,
  });
  const relaySeconds = new Histogram({
    name: SIGNAL_METRIC_NAMES.relaySeconds,
    help: 'Seconds from receiving a signal frame to sending it on to its peer.',
    buckets: RELAY_SECONDS_BUCKETS,
    registers,
  });
  return {
    messages,
    errors,
    refusals,
    relaySeconds,
    refuse: (reason) => refusals.inc({ reason }),
    remove() {
      for (const name of Object.values(SIGNAL_METRIC_NAMES)) registry.removeSingleMetric(name);
    },
  };
}
