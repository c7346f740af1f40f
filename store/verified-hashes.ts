import { sha256Hex } from '../protocol/index.js';
import { STORE_INTERNALS } from './limits.js';

/**
 * Which stored hashes this store instance has checked against their bytes. Each hash is checked
 * once per instance: a read after that trusts IndexedDB, which only this origin can write.
 */
export class VerifiedHashes {
  private readonly verified = new Set<string>();

  /** True when `data` hashes to `sha256` (remembered), false when it does not. */
  async check(sha256: string, data: Blob): Promise<boolean> {
    if (this.verified.has(sha256)) return true;
    // The whole blob is read: stored assets are bounded by the store's budget, and the reader
    // is about to use these bytes anyway.
    const actual = await sha256Hex(new Uint8Array(await data.arrayBuffer()));
    if (actual !== sha256) return false;
    this.remember(sha256);
    return true;
  }

  /** For bytes the caller verified before storing them. */
  remember(sha256: string): void {
    if (this.verified.size >= STORE_INTERNALS.maxVerifiedHashes) this.verified.clear();
    this.verified.add(sha256);
  }

  forget(sha256: string): void {
    this.verified.delete(sha256);
  }
}
