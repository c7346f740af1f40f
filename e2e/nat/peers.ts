import { type BrowserContext, expect, type Page } from '@playwright/test';
import { allImagesDecoded, gotoSitePage } from '../browser.js';
import { pageFetch, sha256Hex, siteFile } from '../bytes.js';
import { originAssetBytes, type ServerProcess } from '../server-process.js';
import { pageAssetPaths, recordServed, stats, waitForServed, waitForStored } from '../swarm.js';
import type { HomeVisitor } from './home-visitor.js';

/** Helpers for peer-to-peer tests across the test bed's NAT routers. */

/** The summed size of the files at `paths`, as the origin holds them. */
export async function assetBytes(server: ServerProcess, paths: readonly string[]): Promise<number> {
  const sizes = await Promise.all(paths.map(async (path) => (await siteFile(server, path)).length));
  return sizes.reduce((sum, size) => sum + size, 0);
}

/** The candidate types of each connection's selected pair, from `peerconnect.stats()`. */
export async function candidatePairs(page: Page): Promise<string[]> {
  return (await stats(page)).candidatePairs;
}

/** Whether a `<local>-<remote>` pair has a side of candidate type `type`. */
export function pairHas(pair: string, type: 'host' | 'srflx' | 'prflx' | 'relay'): boolean {
  return pair.split('-').includes(type);
}

export interface PeerConnectionRecord {
  /** The `iceServers` the product passed to each RTCPeerConnection it made. */
  iceServers: RTCIceServer[][];
  /** `<local>-<remote>` candidate types of each connection's selected pair, once connected. */
  selectedPairs: string[];
}

/**
 * Instruments every RTCPeerConnection a page of `context` creates: records the ICE servers
 * the product configured and, from `getStats()` once the connection is up, the candidate types
 * of its selected pair, into `window.__peerConnections`. `extraIceServers` are appended to
 * the product's own: a test can give visitors STUN or TURN that the product does not know of.
 */
export async function instrumentPeerConnections(
  context: BrowserContext,
  extraIceServers: RTCIceServer[] = [],
): Promise<void> {
  await context.addInitScript((extra) => {
    const record = { iceServers: [] as RTCIceServer[][], selectedPairs: [] as string[] };
    (window as unknown as { __peerConnections: typeof record }).__peerConnections = record;
    const selectedPair = async (pc: RTCPeerConnection): Promise<string | null> => {
      const report = await pc.getStats();
      const all = [...report.values()] as Record<string, unknown>[];
      const transport = all.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
      const pair =
        all.find((s) => s.id === transport?.selectedCandidatePairId) ??
        all.find((s) => s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded');
      if (!pair) return null;
      const type = (id: unknown) => all.find((s) => s.id === id)?.candidateType ?? '?';
      return `${type(pair.localCandidateId)}-${type(pair.remoteCandidateId)}`;
    };
    const Original = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Original {
      constructor(configuration: RTCConfiguration = {}) {
        record.iceServers.push(JSON.parse(JSON.stringify(configuration.iceServers ?? [])));
        super({ ...configuration, iceServers: [...(configuration.iceServers ?? []), ...extra] });
        this.addEventListener('connectionstatechange', () => {
          if (this.connectionState !== 'connected') return;
          void selectedPair(this).then((pair) => {
            if (pair) record.selectedPairs.push(pair);
          });
        });
      }
    };
  }, extraIceServers);
}

export function peerConnections(page: Page): Promise<PeerConnectionRecord> {
  return page.evaluate(
    () =>
      (window as unknown as { __peerConnections?: PeerConnectionRecord }).__peerConnections ?? {
        iceServers: [],
        selectedPairs: [],
      },
  );
}

/** Every ICE server (url, username, credential) that the page's peer connections were given. */
export async function iceServersSeen(
  page: Page,
): Promise<{ url: string; username?: string; credential?: string }[]> {
  const { iceServers } = await peerConnections(page);
  return iceServers.flat().flatMap((server) =>
    (Array.isArray(server.urls) ? server.urls : [server.urls]).map((url) => ({
      url,
      ...(server.username === undefined ? {} : { username: server.username }),
      ...(typeof server.credential === 'string' ? { credential: server.credential } : {}),
    })),
  );
}

/** Waits until `visitor` stored `paths`, then checks each one against the origin's file. */
export async function expectSameBytesAsOrigin(
  visitor: HomeVisitor,
  server: ServerProcess,
  paths: readonly string[],
): Promise<void> {
  await waitForStored(visitor.page, [...paths]);
  for (const path of paths) {
    const received = await pageFetch(visitor.page, path);
    expect(received.status, path).toBe(200);
    expect(received.sha256, path).toBe(sha256Hex(await siteFile(server, path)));
  }
}

export interface SecondVisit {
  /** The page's asset paths, and their summed size. */
  assets: string[];
  totalBytes: number;
  /** Asset bytes the origin sent during the visit. */
  originBytes: number;
  /** From navigation to a loaded site page (past the first-visit bootstrap). */
  pageMs: number;
}

/**
 * A later visitor's first visit to '/', measured by the origin's asset counter: every image
 * must decode and the worker must report every asset.
 */
export async function measuredFirstVisit(
  visitor: HomeVisitor,
  server: ServerProcess,
): Promise<SecondVisit> {
  await recordServed(visitor.context);
  const before = await originAssetBytes(server);
  const started = Date.now();
  await gotoSitePage(visitor.page, '/');
  const pageMs = Date.now() - started;
  expect((await allImagesDecoded(visitor.page)).undecoded).toEqual([]);
  const assets = await pageAssetPaths(visitor.page);
  await waitForServed(visitor.page, assets);
  return {
    assets,
    totalBytes: await assetBytes(server, assets),
    originBytes: (await originAssetBytes(server)) - before,
    pageMs,
  };
}
