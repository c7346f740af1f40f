import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ServedReport } from '../protocol/index.js';
import {
  assetRequest,
  bytesOf,
  makeAsset,
  recordServed,
  sameBytes,
} from './asset-fixture.test-helper.js';
import { countedOriginResponse } from './counted-origin.js';
import { FakeOrigin } from './fake-origin.test-helper.js';

const { asset, bytes } = makeAsset('/clip.bin', 300_000);

let origin: FakeOrigin;
let reports: ServedReport[];

beforeEach(() => {
  origin = new FakeOrigin().serve(asset.path, bytes);
  reports = recordServed();
});
afterEach(() => {
  vi.unstubAllGlobals();
});

const originReport = (bytesFromOrigin: number): ServedReport => ({
  type: 'pc:served',
  path: asset.path,
  source: 'origin',
  peer: 0,
  origin: bytesFromOrigin,
  cache: 0,
});

describe('countedOriginResponse', () => {
  it("passes the origin's partial answer on and reports its bytes once it ends", async () => {
    const { req, settled } = assetRequest(asset, { range: 'bytes=100000-' });
    const response = await countedOriginResponse(req);
    expect(response.status).toBe(206);
    expect(response.headers.get('Content-Range')).toBe(`bytes 100000-299999/${asset.size}`);
    await settled();
    expect(reports).toEqual([]);
    expect(sameBytes(await bytesOf(response), bytes.subarray(100_000))).toBe(true);
    await settled();
    expect(origin.requests).toEqual([{ path: asset.path, range: 'bytes=100000-' }]);
    expect(reports).toEqual([originReport(200_000)]);
  });

  it('reports what was read and cancels the origin body when the page drops the rest', async () => {
    const { req, settled } = assetRequest(asset, { range: 'bytes=0-' });
    const reader = (await countedOriginResponse(req)).body!.getReader();
    const first = await reader.read();
    await reader.cancel();
    await settled();
    expect(origin.cancelledBodies).toBe(1);
    expect(reports).toEqual([originReport(first.value!.byteLength)]);
  });

  it('reports what came when the origin body breaks off', async () => {
    origin.serve(asset.path, bytes, { breakAfter: 20_000 });
    const { req, settled } = assetRequest(asset, { range: 'bytes=0-' });
    await expect(bytesOf(await countedOriginResponse(req))).rejects.toThrow();
    await settled();
    expect(reports).toEqual([originReport(20_000)]);
  });
});
