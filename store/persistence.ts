/**
 * Whether `persist()` would put a question to the visitor. Chromium decides silently (from the
 * site's engagement) and says so by exposing `userAgentData`; Firefox asks with a prompt, which
 * a CDN layer has no business showing, so there it is called only once already granted.
 */
async function wouldPrompt(browser: Navigator): Promise<boolean> {
  if ('userAgentData' in browser) return false;
  try {
    const status = await browser.permissions?.query({ name: 'persistent-storage' });
    return status?.state !== 'granted';
  } catch {
    return true;
  }
}

/**
 * Asks the browser not to evict this origin's storage under pressure, so a returning visitor
 * still holds (and seeds) the site, where that costs the visitor no prompt. `persist()` exists
 * on Window only; in a worker, in an old browser, or when the browser refuses, the store simply
 * stays "best effort".
 */
export async function requestPersistence(): Promise<boolean> {
  const browser = globalThis.navigator;
  const storage = browser?.storage;
  if (typeof storage?.persist !== 'function') return false;
  try {
    if (typeof storage.persisted === 'function' && (await storage.persisted())) return true;
    if (await wouldPrompt(browser)) return false;
    return await storage.persist();
  } catch {
    return false;
  }
}
