import { DEADLINES } from './deadlines.js';
import { keepPageCopy, type PageStore, refreshPageCopy, storedPage } from './page-copy.js';

export interface NavigationDeps {
  store: () => Promise<PageStore | undefined>;
  waitUntil: (promise: Promise<unknown>) => void;
  /** Told of each response the network gave (the release it names). */
  onNetwork?: (response: Response) => void;
}

type Outcome = { response: Response } | { error: unknown };

/**
 * A navigation, network first: the network's page is the answer (and is copied to the store
 * when it may be kept). When the network fails, answers 5xx or gives nothing within
 * DEADLINES.offlineNavigationMs, the stored copy of the page is the answer if there is one;
 * without one the navigation waits for the network, whatever it brings, as without PeerConnect.
 */
export async function networkFirst(
  url: string,
  network: Promise<Response>,
  deps: NavigationDeps,
): Promise<Response> {
  const outcome: Promise<Outcome> = network.then(
    (response) => {
      deps.onNetwork?.(response);
      return { response };
    },
    (error: unknown) => ({ error }),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), DEADLINES.offlineNavigationMs);
  });
  const first = await Promise.race([outcome, late]).finally(() => clearTimeout(timer));
  if (first === 'late') {
    const copy = await storedPage(url, deps.store);
    if (!copy) return answer(url, await outcome, deps);
    // The page is answered; the network's page, when it comes, still refreshes the copy.
    deps.waitUntil(
      outcome.then((late) =>
        'response' in late ? refreshPageCopy(url, late.response, deps.store) : undefined,
      ),
    );
    return copy;
  }
  return answer(url, first, deps);
}

async function answer(url: string, outcome: Outcome, deps: NavigationDeps): Promise<Response> {
  if ('response' in outcome && outcome.response.status < 500) {
    return keepPageCopy(url, outcome.response, deps.store, deps.waitUntil);
  }
  const copy = await storedPage(url, deps.store);
  if (copy) {
    if ('response' in outcome) void outcome.response.body?.cancel();
    return copy;
  }
  if ('response' in outcome) return outcome.response;
  throw outcome.error;
}
