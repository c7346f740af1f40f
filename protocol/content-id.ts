import { SHA256_HEX } from './hash.js';

/**
 * What a peer tells the signaling server it holds: the first 64 bits of an asset's sha-256, in
 * hex. It names content, not a URL or a release, so one announcement serves every release that
 * ships those bytes; it is enough to find holders (a collision only costs a `not-found` on the
 * wire, where the full hash is asked for and every byte is verified).
 */
export const CONTENT_ID_HEX_LENGTH = 16;
export const CONTENT_ID = /^[0-9a-f]{16}$/;

export function contentIdOf(sha256: string): string {
  if (!SHA256_HEX.test(sha256)) throw new RangeError('not a sha-256');
  return sha256.slice(0, CONTENT_ID_HEX_LENGTH);
}
