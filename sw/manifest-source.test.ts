import { describe, expect, it } from 'vitest';
import { createManifest, type Manifest } from '../protocol/index.js';
import { DEADLINES } from './deadlines.js';
import { type ManifestPersistence, ManifestSource } from './manifest-source.js';

async function manifestOf(path: string): Promise<Manifest> {
  return createManifest([
    {
      path,
      size: 0,
      type: 'text/plain',
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      chunks: [],
    },
  ]);
}

function memory(): ManifestPersistence & { saved: unknown } {
  const store = {
    saved: undefined as unknown,
    load: async () => store.saved,
    save: async (value: unknown) => {
      store.saved = value;
    },
  };
  return store;
}

/** A fetch that answers from `respond` and counts the calls. */
function counting(respond: () => Response | Promise<Response>) {
  const calls: RequestInit[] = [];
  const fetchImpl = (async (_input: RequestInfo | URL, init?: RequestInit) => {
    calls.push(init ?? {});
    return respond();
  }) as typeof fetch;
  return { calls, fetchImpl };
}

describe('ManifestSource', () => {
  it('shares one request between concurrent refreshes (install and the first asset request)', async () => {
    const manifest = await manifestOf('/a.txt');
    const { calls, fetchImpl } = counting(() =>
      Response.json(manifest, { headers: { ETag: '"v1"' } }),
    );
    const store = memory();
    const source = new ManifestSource(async () => store, fetchImpl);
    const [first, second] = await Promise.all([source.refresh(), source.get()]);
    expect(calls).toHaveLength(1);
    expect(first?.version).toBe(manifest.version);
    expect(second?.version).toBe(manifest.version);
    expect((store.saved as { etag: string }).etag).toBe('"v1"');
  });

  it('revalidates with the ETag and keeps the manifest on 304', async () => {
    const manifest = await manifestOf('/a.txt');
    let status = 200;
    const { calls, fetchImpl } = counting(() =>
      status === 200
        ? Response.json(manifest, { headers: { ETag: '"v1"' } })
        : new Response(null, { status }),
    );
    const source = new ManifestSource(async () => memory(), fetchImpl);
    await source.refresh();
    status = 304;
    const again = await source.refresh();
    expect(again?.version).toBe(manifest.version);
    expect(new Headers(calls[1]?.headers).get('If-None-Match')).toBe('"v1"');
  });

  it('keeps the previous manifest when the origin sends a bad one or fails', async () => {
    const manifest = await manifestOf('/a.txt');
    let body: unknown = manifest;
    const { fetchImpl } = counting(() => Response.json(body));
    const source = new ManifestSource(async () => memory(), fetchImpl);
    await source.refresh();
    body = { ...manifest, version: 'f'.repeat(64) };
    expect((await source.refresh())?.version).toBe(manifest.version);
    const failing = new ManifestSource(async () => memory(), (async () => {
      throw new TypeError('offline');
    }) as typeof fetch);
    expect(await failing.refresh()).toBeUndefined();
  });

  it('starts from the saved copy, without the network', async () => {
    const manifest = await manifestOf('/saved.txt');
    const store = memory();
    store.saved = { manifest, etag: '"s"' };
    const { calls, fetchImpl } = counting(() => new Response(null, { status: 500 }));
    const source = new ManifestSource(async () => store, fetchImpl);
    expect((await source.get())?.indexOf('/saved.txt')).toBe(0);
    expect(calls).toHaveLength(0);
  });

  it('gives up on a manifest request that stalls, so routed requests are not held', async () => {
    let calls = 0;
    const stalling = ((_input: RequestInfo | URL, init?: RequestInit) => {
      calls++;
      return new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    }) as typeof fetch;
    const source = new ManifestSource(async () => memory(), stalling);
    const started = Date.now();
    expect(await source.get()).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(DEADLINES.manifestFetchMs + 1000);
    // The stalled request does not pin later revalidations.
    await source.refresh();
    expect(calls).toBe(2);
  });
});
