import type { Page } from '@playwright/test';
import type { Visitor } from '../e2e/fixtures.js';
import type { ServerProcess } from '../e2e/server-process.js';
import { pageAssetPaths, recordServed, stats, waitForServed } from '../e2e/swarm.js';
import { fetchInPage, waitForPageComplete } from './page-probes.js';

/**
 * One visitor's first page view in a swarm, measured from both ends: the page (resource
 * timing, the worker's `pc:served` reports, `peerconnect.stats()`) and the origin's counter.
 */

const SERVED_REPORT_WAIT_MS = 3000;
const POLL_MS = 50;

export interface SwarmVisit {
  /** Navigation to the final page under the worker with every image decoded. */
  pageMs: number;
  /**
   * From the final document's first asset request to the first response byte of an asset the
   * worker served from a peer (it streams once the first verified chunk is there); null when
   * no asset came from a peer.
   */
  firstPeerChunkMs: number | null;
  /** Asset bytes by source, as the worker reported them to the page. */
  peerBytes: number;
  originBytes: number;
  cacheBytes: number;
  /** Asset bytes the origin's counter grew by during the visit. */
  originCounterBytes: number;
  candidatePairs: string[];
  dialFailures: Record<string, number>;
}

/** Share of the visit's asset bytes that came from peers (0..1). */
export function peerShare(visit: SwarmVisit): number {
  const total = visit.peerBytes + visit.originBytes + visit.cacheBytes;
  return total === 0 ? 0 : visit.peerBytes / total;
}

/** Resource timing of the assets: first request, and first byte of the peer-served ones. */
function assetTimings(
  page: Page,
  assets: string[],
  fromPeers: string[],
): Promise<{ firstRequest: number; firstPeerByte: number | null }> {
  return page.evaluate(
    ({ assets, fromPeers }) => {
      const entries = performance
        .getEntriesByType('resource')
        .map((entry) => ({ entry: entry as PerformanceResourceTiming, url: new URL(entry.name) }))
        .filter(({ url }) => url.origin === location.origin && assets.includes(url.pathname));
      const firstRequest = Math.min(...entries.map(({ entry }) => entry.startTime));
      const peerStarts = entries
        .filter(({ url }) => fromPeers.includes(url.pathname))
        .map(({ entry }) => entry.responseStart)
        .filter((t) => t > 0);
      return {
        firstRequest,
        firstPeerByte: peerStarts.length === 0 ? null : Math.min(...peerStarts),
      };
    },
    { assets, fromPeers },
  );
}

/** Opens `url` in a fresh visitor and measures its page load. */
export async function measureSwarmVisit(
  visitor: Visitor,
  server: ServerProcess,
  url: string,
): Promise<SwarmVisit> {
  await recordServed(visitor.context);
  const before = await server.originAssetBytes();
  const started = Date.now();
  await visitor.page.goto(url);
  const pageMs = await waitForPageComplete(visitor.page, started, true);
  const assets = await pageAssetPaths(visitor.page);
  const served = [...(await waitForServed(visitor.page, assets)).values()];
  const originCounterBytes = (await server.originAssetBytes()) - before;
  const fromPeers = served.filter((report) => report.peer > 0).map((report) => report.path);
  const timing = await assetTimings(visitor.page, assets, fromPeers);
  const current = await stats(visitor.page);
  const sum = (key: 'peer' | 'origin' | 'cache') =>
    served.reduce((total, report) => total + report[key], 0);
  return {
    pageMs,
    firstPeerChunkMs:
      timing.firstPeerByte === null ? null : Math.round(timing.firstPeerByte - timing.firstRequest),
    peerBytes: sum('peer'),
    originBytes: sum('origin'),
    cacheBytes: sum('cache'),
    originCounterBytes,
    candidatePairs: current.candidatePairs,
    dialFailures: { ...current.dialFailures },
  };
}

export interface AssetTransfer {
  /** MB/s (10^6 bytes) of the whole fetch through the worker. */
  mbPerSecond: number;
  /** Asset bytes the origin sent meanwhile (a peer path that fell back shows here). */
  originCounterBytes: number;
  peerBytes: number;
  sha256: string;
}

/** Fetches `path` in the visitor's page (through its worker) and times it. */
export async function timedAssetFetch(
  visitor: Visitor,
  server: ServerProcess,
  path: string,
): Promise<AssetTransfer> {
  const before = await server.originAssetBytes();
  const counted = async () => {
    const now = await stats(visitor.page);
    return { peer: now.bytesFromPeers, all: now.bytesFromPeers + now.bytesFromOrigin };
  };
  const start = await counted();
  const fetched = await fetchInPage(visitor.page, path);
  // The worker's `pc:served` report follows the response's end.
  const deadline = Date.now() + SERVED_REPORT_WAIT_MS;
  let end = await counted();
  while (end.all - start.all < fetched.bytes && Date.now() < deadline) {
    await visitor.page.waitForTimeout(POLL_MS);
    end = await counted();
  }
  return {
    mbPerSecond: fetched.bytes / 1e6 / (fetched.ms / 1000),
    originCounterBytes: (await server.originAssetBytes()) - before,
    peerBytes: end.peer - start.peer,
    sha256: fetched.sha256,
  };
}
