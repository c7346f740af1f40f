import { createHash } from 'node:crypto';
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { vi } from 'vitest';
import { CHUNK_SIZE, type ManifestAsset, MIB, type ServedReport } from '../protocol/index.js';
import { AssetStore } from '../store/index.js';
import type { AssetRequest } from './asset-request.js';

export const SITE = 'https://site.test';
export const MANIFEST_VERSION = 'f'.repeat(64);
export const CLIENT_ID = 'tab-1';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** `size` bytes of a repeatable pattern and the manifest entry that describes them. */
export function makeAsset(
  path: string,
  size: number,
  seed = 1,
): { asset: ManifestAsset; bytes: Uint8Array<ArrayBuffer> } {
  const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed * 7 + (i >> 9)) & 0xff);
  const chunks: string[] = [];
  for (let at = 0; at < size; at += CHUNK_SIZE)
    chunks.push(sha256(bytes.subarray(at, at + CHUNK_SIZE)));
  return {
    asset: { path, size, type: 'application/octet-stream', sha256: sha256(bytes), chunks },
    bytes,
  };
}

/** The same bytes after a deploy changed one byte of chunk `chunk`. */
export function changedAt(bytes: Uint8Array, chunk: number): Uint8Array<ArrayBuffer> {
  const changed = bytes.slice();
  const at = chunk * CHUNK_SIZE + 10;
  changed[at] = (changed[at] ?? 0) ^ 0xff;
  return changed;
}

/** A routed request for `asset`, and a way to wait for the work it left to `waitUntil`. */
export function assetRequest(
  asset: ManifestAsset,
  options: { range?: string } = {},
): { req: AssetRequest; settled: () => Promise<void> } {
  const waits: Promise<unknown>[] = [];
  const url = new URL(asset.path, SITE);
  const request = new Request(url, { headers: options.range ? { Range: options.range } : {} });
  const req: AssetRequest = {
    request,
    url,
    asset,
    release: MANIFEST_VERSION,
    clientId: CLIENT_ID,
    waitUntil: (promise) => waits.push(promise),
  };
  const settled = async () => {
    for (let seen = -1; seen !== waits.length; ) {
      seen = waits.length;
      await Promise.all(waits);
    }
    // A tally report goes out after a client lookup: let it land.
    await new Promise((resolve) => setTimeout(resolve, 0));
  };
  return { req, settled };
}

/** Stubs the worker's `self.clients` and collects the `pc:served` reports sent to the tab. */
export function recordServed(): ServedReport[] {
  const reports: ServedReport[] = [];
  vi.stubGlobal('self', {
    clients: {
      get: async (id: string) =>
        id === CLIENT_ID
          ? { postMessage: (message: ServedReport) => reports.push(message) }
          : undefined,
    },
  });
  return reports;
}

/** A real AssetStore over a fresh in-memory IndexedDB. */
export async function openTestStore(): Promise<AssetStore> {
  vi.stubGlobal('indexedDB', new IDBFactory());
  return AssetStore.open({ budgetBytes: 64 * MIB });
}

export async function bytesOf(response: Response): Promise<Uint8Array> {
  return new Uint8Array(await response.arrayBuffer());
}

/** Byte equality for large arrays (vitest's deep equality walks them element by element). */
export function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
