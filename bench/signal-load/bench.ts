import { type LoadOptions, type LoadResult, runLoad } from './load-run.js';
import { REDIS_NODES, startRedisGroup } from './redis-group.js';
import { type ServerChild, startBaseline, startPeerConnect } from './server-child.js';

export interface SignalBenchResult {
  /** What ran: one node, or REDIS_NODES nodes sharing swarms through Redis. */
  label: string;
  peerconnect: LoadResult;
  /** With --redis: redis-server's own RSS at the end of the run (not in the nodes' figure). */
  redisRssBytes?: number;
  /** The raw ws relay at PeerConnect's peak peer count, in the same run. */
  baseline?: LoadResult;
}

export const ONE_NODE = 'PeerConnect signal-only (1 node)';
export const REDIS_GROUP = `PeerConnect signal-only (${REDIS_NODES} nodes, Redis)`;

async function withServer<S extends ServerChild>(
  start: () => Promise<S>,
  options: LoadOptions,
  metrics: boolean,
  atEnd?: (server: S) => Promise<void>,
): Promise<LoadResult> {
  const server = await start();
  try {
    const result = await runLoad(server, options, metrics);
    await atEnd?.(server);
    return result;
  } finally {
    await server.stop();
  }
}

/**
 * PeerConnect's signaling (one node, or with `redis` REDIS_NODES nodes and a redis-server),
 * then (unless `baseline` is false) the raw ws floor at the same load.
 */
export async function runSignalBench(
  options: LoadOptions,
  baseline = true,
  redis = false,
): Promise<SignalBenchResult> {
  let redisRssBytes: number | undefined;
  const peerconnect = redis
    ? await withServer(startRedisGroup, options, true, async (group) => {
        redisRssBytes = await group.redisRss();
      })
    : await withServer(() => startPeerConnect(), options, true);
  const label = redis ? REDIS_GROUP : ONE_NODE;
  const ran = { label, peerconnect, ...(redisRssBytes !== undefined && { redisRssBytes }) };
  if (!baseline) return ran;
  const same = { ...options, peers: Math.max(2, peerconnect.peak) };
  return { ...ran, baseline: await withServer(startBaseline, same, false) };
}
