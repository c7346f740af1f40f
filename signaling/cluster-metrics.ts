import { Counter, Gauge, type Registry } from 'prom-client';

export const CLUSTER_METRIC_NAMES = {
  up: 'peerconnect_signal_redis_up',
  nodes: 'peerconnect_signal_redis_nodes',
  remotePeers: 'peerconnect_signal_redis_remote_peers',
  messages: 'peerconnect_signal_redis_messages_total',
  outages: 'peerconnect_signal_redis_outages_total',
} as const;

export interface ClusterMetrics {
  /** Bus messages by what became of them: sent, received, failed (not sent), bad (dropped). */
  readonly messages: Counter<'outcome'>;
  /** Times the connection to Redis was lost. */
  readonly outages: Counter;
  remove(): void;
}

/** Redis health, read from live state at scrape time. */
export function createClusterMetrics(
  registry: Registry,
  live: { up(): boolean; nodes(): number; remotePeers(): number },
): ClusterMetrics {
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge(CLUSTER_METRIC_NAMES.up, 'Whether both Redis connections are ready: 1 or 0', () =>
    live.up() ? 1 : 0,
  );
  gauge(CLUSTER_METRIC_NAMES.nodes, 'Other signaling nodes heard from within the node TTL', () =>
    live.nodes(),
  );
  gauge(CLUSTER_METRIC_NAMES.remotePeers, 'Peers of other nodes mirrored here', () =>
    live.remotePeers(),
  );
  const messages = new Counter({
    name: CLUSTER_METRIC_NAMES.messages,
    help: 'Redis bus messages: sent, received, failed to send, bad (malformed, dropped)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const outages = new Counter({
    name: CLUSTER_METRIC_NAMES.outages,
    help: 'Times the connection to Redis was lost',
    registers: [registry],
  });
  return {
    messages,
    outages,
    remove() {
      for (const name of Object.values(CLUSTER_METRIC_NAMES)) registry.removeSingleMetric(name);
    },
  };
}
