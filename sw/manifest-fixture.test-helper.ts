import {
  buildManifestFiles,
  type ManifestAsset,
  type ManifestFiles,
  PATHS,
  RELEASE_HEADER,
} from '../protocol/index.js';
import type { MetaStore } from './shard-cache.js';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** An empty file at `path`: records whose content does not matter to the manifest code. */
export function emptyAsset(path: string, sha256 = EMPTY_SHA256): ManifestAsset {
  return { path, size: 0, type: 'text/plain', sha256, chunks: [] };
}

/** `count` assets: a thousand or more of them spread over several shards (cut by path hash). */
export function manyAssets(count: number): ManifestAsset[] {
  return Array.from({ length: count }, (_, i) => emptyAsset(`/file-${i}.txt`));
}

/** The store's meta table, in memory. */
export class MemoryMeta implements MetaStore {
  readonly values = new Map<string, unknown>();

  async getMeta(key: string): Promise<unknown> {
    return this.values.get(key);
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    this.values.set(key, value);
  }
}

/**
 * An origin that publishes one release at a time as `serve` does: the root (ETag, 304) and its
 * content-addressed shards, each response naming the release. Counts requests by path, and
 * can stall or damage what it sends.
 */
export class ManifestOrigin {
  readonly requests: string[] = [];
  files!: ManifestFiles;
  /** Shards (by index) served with one byte changed. */
  readonly damaged = new Set<number>();
  /** Requests for these paths never answer until aborted. */
  readonly stalled = new Set<string>();
  down = false;

  static async publish(assets: readonly ManifestAsset[], options: { disabled?: boolean } = {}) {
    const origin = new ManifestOrigin();
    await origin.release(assets, options);
    return origin;
  }

  async release(assets: readonly ManifestAsset[], options: { disabled?: boolean } = {}) {
    this.files = await buildManifestFiles(assets, options);
  }

  get version(): string {
    return this.files.root.version;
  }

  shardRequests(): string[] {
    return this.requests.filter((path) => path.startsWith(PATHS.shards));
  }

  readonly fetch = ((input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input), 'https://site.test');
    const path = url.pathname;
    this.requests.push(path);
    if (this.stalled.has(path)) {
      return new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    }
    if (this.down) return Promise.reject(new TypeError('connection refused'));
    return Promise.resolve(this.answer(path, new Headers(init?.headers).get('If-None-Match')));
  }) as typeof fetch;

  private answer(path: string, ifNoneMatch: string | null): Response {
    const headers = { [RELEASE_HEADER]: this.version };
    if (path === PATHS.manifest) {
      const etag = `"${this.version}"`;
      if (ifNoneMatch === etag) return new Response(null, { status: 304, headers });
      return Response.json(this.files.root, { headers: { ...headers, ETag: etag } });
    }
    const index = this.files.shards.findIndex((shard) => path.endsWith(`${shard.sha256}.json`));
    const shard = this.files.shards[index];
    if (!shard) return new Response('not found', { status: 404, headers });
    const bytes = shard.bytes.slice();
    const last = bytes.length - 2;
    if (this.damaged.has(index)) bytes[last] = (bytes[last] ?? 0) ^ 1;
    return new Response(bytes, { headers });
  }
}
