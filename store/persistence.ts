/**
 * Asks the browser not to evict this origin's storage under pressure, so a returning visitor
 * still holds (and seeds) the site. `persist()` exists on Window only; in a worker, in an old
 * browser, or when the browser refuses, the store simply stays "best effort".
 */
export async function requestPersistence(): Promise<boolean> {
  const storage = globalThis.navigator?.storage;
  if (typeof storage?.persist !== 'function') return false;
  try {
    // Already granted: do not ask again (Firefox shows a prompt for each ask).
    if (typeof storage.persisted === 'function' && (await storage.persisted())) return true;
    return await storage.persist();
  } catch {
    return false;
  }
}
