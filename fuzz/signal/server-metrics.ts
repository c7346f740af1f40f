import { PATHS } from '../../protocol/index.js';

const METRICS_TIMEOUT_MS = 5_000;
const SAMPLE = /^([a-z_:][a-z0-9_:]*)(\{[^}]*\})? (\S+)$/i;

/** The server's Prometheus text, every sample of a name summed over its labels. */
export async function readMetrics(origin: string): Promise<Record<string, number>> {
  const res = await fetch(new URL(PATHS.metrics, origin), {
    signal: AbortSignal.timeout(METRICS_TIMEOUT_MS),
  });
  if (!res.ok) throw new Error(`metrics answered ${res.status}`);
  const totals: Record<string, number> = {};
  for (const line of (await res.text()).split('\n')) {
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const [, name = '', , value = ''] = match;
    totals[name] = (totals[name] ?? 0) + Number(value);
  }
  return totals;
}

/** Signaling's state gauges: what must return to the watcher's alone once the fuzz has gone. */
export const STATE_GAUGES = {
  connections: 'peerconnect_signal_connections',
  swarms: 'peerconnect_signal_swarms',
  announcedIds: 'peerconnect_signal_announced_ids',
} as const;
