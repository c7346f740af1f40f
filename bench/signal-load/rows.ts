import type { ResultRow } from '../report.js';
import type { Bar } from '../svg-chart.js';
import type { SignalBenchResult } from './bench.js';
import type { LoadResult } from './load-run.js';

/** The issue's goals for this bench (issue 11, item 5). */
export const GOALS = {
  rssPerConnectionBytes: 6 * 1024,
  relayP99Ms: 50,
  peers: 50_000,
  messagesPerSecond: 2_000,
} as const;

export const BASELINE = 'baseline: raw ws relay';
const KB = 1024;

function errorTotal(result: LoadResult): number {
  return Object.values(result.errors).reduce((a, b) => a + b, 0);
}

function rowsOf(
  variant: string,
  result: LoadResult,
  processes: number,
  baseline?: LoadResult,
): ResultRow[] {
  const scenario = `signaling load, ${result.target.toLocaleString('en')} peers asked`;
  const note = `loopback; ${processes} client processes${result.limitedBy ? `; peers capped by ${result.limitedBy}` : ''}`;
  const row = (name: string, value: number, unit: string, base?: number): ResultRow => ({
    scenario,
    variant: `${variant}: ${name}`,
    value,
    unit,
    ...(base !== undefined && base > 0 && { ratioToBaseline: value / base }),
    note,
  });
  return [
    row('peak connections held', result.peak, 'peers'),
    row(
      'server RSS per connection',
      result.rssPerConnectionBytes / KB,
      'KB',
      baseline && baseline.rssPerConnectionBytes / KB,
    ),
    row('relay latency p50', result.relay.p50Ms, 'ms', baseline?.relay.p50Ms),
    row('relay latency p99', result.relay.p99Ms, 'ms', baseline?.relay.p99Ms),
    row('relayed messages delivered', result.relay.messagesPerSecond, 'msg/s'),
    row('server CPU while relaying', result.relay.serverCpuPercent, '% of a core'),
    row('client CPU while relaying (all processes)', result.relay.clientCpuPercent, '% of a core'),
    row('client event-loop delay p99 (worst process)', result.relay.clientLoopDelayP99Ms, 'ms'),
    row('ramp time', result.rampMs / 1000, 's'),
    row('errors', errorTotal(result), 'errors'),
  ];
}

export function resultRows(result: SignalBenchResult, processes: number): ResultRow[] {
  return [
    ...rowsOf(result.label, result.peerconnect, processes, result.baseline),
    ...(result.baseline ? rowsOf(BASELINE, result.baseline, processes) : []),
  ];
}

export function memoryBars(result: SignalBenchResult): Bar[] {
  const bar = (label: string, r: LoadResult): Bar => ({
    label: `${label}, ${r.peak.toLocaleString('en')} peers`,
    value: r.rssPerConnectionBytes / KB,
    text: `${(r.rssPerConnectionBytes / KB).toFixed(2)} KB`,
  });
  return [
    bar(result.label, result.peerconnect),
    ...(result.baseline ? [bar(BASELINE, result.baseline)] : []),
  ];
}

export function latencyBars(result: SignalBenchResult): Bar[] {
  const bars = (label: string, r: LoadResult): Bar[] =>
    (['p50Ms', 'p99Ms'] as const).map((key) => ({
      label: `${label}: ${key.slice(0, 3)} at ${Math.round(r.relay.messagesPerSecond)} msg/s`,
      value: r.relay[key],
      text: `${r.relay[key].toFixed(2)} ms`,
    }));
  return [
    ...bars(result.label, result.peerconnect),
    ...(result.baseline ? bars(BASELINE, result.baseline) : []),
  ];
}

/** One line per goal of the issue: the figure, the goal, and whether it was met. */
export function goalLines(result: LoadResult, askedPeers: number): string[] {
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const perConnection = result.rssPerConnectionBytes;
  return [
    `peak ${result.peak.toLocaleString('en')} of ${askedPeers.toLocaleString('en')} peers asked` +
      (result.limitedBy ? ` (capped by ${result.limitedBy})` : '') +
      `; goal ${GOALS.peers.toLocaleString('en')} over 3 nodes with Redis: ${met(result.peak >= GOALS.peers)}`,
    `server RSS per connection ${(perConnection / KB).toFixed(2)} KB; goal <= 6 KB: ${met(perConnection <= GOALS.rssPerConnectionBytes)}`,
    `relay p99 ${result.relay.p99Ms.toFixed(2)} ms at ${Math.round(result.relay.messagesPerSecond)} msg/s; goal < ${GOALS.relayP99Ms} ms at ${GOALS.messagesPerSecond} msg/s: ${met(result.relay.p99Ms < GOALS.relayP99Ms && result.relay.messagesPerSecond >= GOALS.messagesPerSecond * 0.95)}`,
  ];
}
