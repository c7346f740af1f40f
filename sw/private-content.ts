/**
 * What the origin marks as one visitor's own is never stored or shared: `Cache-Control: private`
 * or `no-store`, or a `Vary` on the visitor's credentials (the site gates it by cookie or login).
 */
const NOT_SHARED = /(^|,)\s*(no-store|private)\s*(,|=|$)/i;
const CREDENTIAL_VARY = /(^|,)\s*(cookie|authorization|\*)\s*(,|$)/i;

/** Distinct private assets remembered: enough for any page, bounded against a hostile site. */
export const MAX_REMEMBERED_PRIVATE = 4096;

/** True when the response's own headers forbid keeping it (`private`, `no-store`). */
export function forbidsKeeping(response: Response): boolean {
  return NOT_SHARED.test(response.headers.get('cache-control') ?? '');
}

/** True when this response must not reach the store or other visitors. */
export function isPrivateResponse(response: Response): boolean {
  return forbidsKeeping(response) || CREDENTIAL_VARY.test(response.headers.get('vary') ?? '');
}

/**
 * Manifest assets the origin answered as private, by content hash: their next requests go to
 * the origin at once, with no `find` that would tell the swarm what this visitor looks at.
 * Oldest forgotten first past MAX_REMEMBERED_PRIVATE; gone with the worker, so a restarted one
 * learns again from the origin's next answer.
 */
export class PrivateAssets {
  private readonly hashes = new Set<string>();

  has(sha256: string): boolean {
    return this.hashes.has(sha256);
  }

  add(sha256: string): void {
    this.hashes.delete(sha256);
    this.hashes.add(sha256);
    if (this.hashes.size > MAX_REMEMBERED_PRIVATE) {
      const oldest = this.hashes.values().next().value;
      if (oldest !== undefined) this.hashes.delete(oldest);
    }
  }
}
