import {
  CHUNK_SIZE,
  chunkLength,
  type ManifestAsset,
  PeerConnectError,
  verifyChunk,
} from '../protocol/index.js';
import { fetchFromOffset } from './origin-fetch.js';

/**
 * The rest of an asset from the origin, from chunk `first` on, handed out as whole verified
 * chunks. The head of the response came from peers and matches the manifest; if the origin's
 * file has changed since (a deploy), splicing its tail on would give the page a file that
 * never existed, so a chunk that does not match ends the response with an error instead.
 */
export class OriginResume {
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private pending: Uint8Array = new Uint8Array(0);
  private cancelled = false;

  constructor(
    private readonly url: string,
    private readonly asset: ManifestAsset,
    private next: number,
  ) {}

  /** The next verified chunk, or undefined once the asset is complete. */
  async read(): Promise<Uint8Array | undefined> {
    if (this.next * CHUNK_SIZE >= this.asset.size) return undefined;
    const want = chunkLength(this.asset.size, this.next);
    while (this.pending.byteLength < want) {
      if (!this.reader) {
        const body = await fetchFromOffset(this.url, this.next * CHUNK_SIZE);
        if (this.cancelled) {
          void body.cancel();
          throw new PeerConnectError('cancelled');
        }
        this.reader = body.getReader();
      }
      const { done, value } = await this.reader.read();
      if (done) throw new PeerConnectError('origin-error', `body ends before chunk ${this.next}`);
      this.pending = concat(this.pending, value);
    }
    const chunk = this.pending.slice(0, want);
    this.pending = this.pending.subarray(want);
    if (!(await verifyChunk(this.asset, this.next, chunk))) {
      throw new PeerConnectError('origin-error', `chunk ${this.next} differs from the manifest`);
    }
    this.next++;
    return chunk;
  }

  cancel(): void {
    this.cancelled = true;
    void this.reader?.cancel();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b;
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}
