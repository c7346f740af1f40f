import { sha256Hex } from './hash.js';
import { chunkLength, type ManifestAsset } from './manifest.js';

/** True when `data` is exactly chunk `index` of `asset` as the manifest describes it. */
export async function verifyChunk(
  asset: ManifestAsset,
  index: number,
  data: ArrayBuffer | Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  const expected = asset.chunks[index];
  if (expected === undefined || data.byteLength !== chunkLength(asset.size, index)) return false;
  return (await sha256Hex(data)) === expected;
}
