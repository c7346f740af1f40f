import { Counter, type Registry } from 'prom-client';

/** `asset`: the URL path is listed in the manifest (what peers could have served instead). */
export type OriginKind = 'asset' | 'other';

export interface OriginMetrics {
  /** Response body bytes written (HEAD and 304 write none, 206 the range, HTML as injected). */
  readonly bytes: Counter<'kind'>;
  readonly requests: Counter<'kind' | 'status'>;
  /** First navigations answered with the bootstrap document instead of the page. */
  readonly bootstraps: Counter;
}

export const ORIGIN_METRIC_NAMES = {
  bytes: 'peerconnect_origin_bytes_total',
  requests: 'peerconnect_origin_requests_total',
  bootstraps: 'peerconnect_bootstrap_total',
} as const;

/**
 * Registers the origin's metrics on the server's own registry. Not prom-client's process
 * defaults: /metrics may be open to anyone, and heap and file descriptor figures are internals.
 */
export function createOriginMetrics(registry: Registry): OriginMetrics {
  const registers = [registry];
  return {
    bytes: new Counter({
      name: ORIGIN_METRIC_NAMES.bytes,
      help: 'Response body bytes written by the origin, by whether the path is a manifest asset.',
      labelNames: ['kind'] as const,
      registers,
    }),
    requests: new Counter({
      name: ORIGIN_METRIC_NAMES.requests,
      help: 'Requests answered by the origin, by kind and status.',
      labelNames: ['kind', 'status'] as const,
      registers,
    }),
    bootstraps: new Counter({
      name: ORIGIN_METRIC_NAMES.bootstraps,
      help: 'First navigations answered with the bootstrap document.',
      registers,
    }),
  };
}
