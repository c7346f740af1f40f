import { STORE_LIMITS } from './limits.js';

/** What the browser lets the store take, and how it says that it is full. */

export function isQuotaError(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'QuotaExceededError';
}

/** A share of the origin's quota, capped at maxBytes; maxBytes when the quota is unknown. */
export async function defaultBudget(): Promise<number> {
  try {
    const { quota } = await navigator.storage.estimate();
    if (quota) return Math.min(STORE_LIMITS.maxBytes, Math.floor(quota * STORE_LIMITS.quotaShare));
  } catch {
    // No StorageManager (old browser, tests): fall back to the fixed cap.
  }
  return STORE_LIMITS.maxBytes;
}

/**
 * Gives up a write that failed: aborts it so nothing half-written commits, and silences the
 * rejection of its `done` (the caller already has the error).
 */
export function abandon(tx: { abort(): void; done: Promise<void> }): void {
  tx.done.catch(() => {});
  try {
    tx.abort();
  } catch {
    // Already finished: committed, or aborted by the error itself.
  }
}
