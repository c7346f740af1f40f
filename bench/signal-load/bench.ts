import { type LoadOptions, type LoadResult, runLoad } from './load-run.js';
import { type ServerChild, startBaseline, startPeerConnect } from './server-child.js';

export interface SignalBenchResult {
  peerconnect: LoadResult;
  /** The raw ws relay at PeerConnect's peak peer count, in the same run. */
  baseline?: LoadResult;
}

async function withServer(
  start: () => Promise<ServerChild>,
  options: LoadOptions,
  metrics: boolean,
): Promise<LoadResult> {
  const server = await start();
  try {
    return await runLoad(server, options, metrics);
  } finally {
    await server.stop();
  }
}

/** PeerConnect's signaling, then (unless `baseline` is false) the raw ws floor at the same load. */
export async function runSignalBench(
  options: LoadOptions,
  baseline = true,
): Promise<SignalBenchResult> {
  const peerconnect = await withServer(startPeerConnect, options, true);
  if (!baseline) return { peerconnect };
  const same = { ...options, peers: Math.max(2, peerconnect.peak) };
  return { peerconnect, baseline: await withServer(startBaseline, same, false) };
}
