/** One tab per origin holds the peer connections; the Web Lock passes on when that tab closes. */
export const LEADER_LOCK_NAME = 'peerconnect-leader';

/** Web Locks is one of the agent's required features (feature-support.ts). */
export function runWhenLeader(lead: () => void): void {
  void navigator.locks.request(LEADER_LOCK_NAME, () => {
    lead();
    // Held for the life of the tab; the browser releases it when the tab goes away.
    return new Promise<never>(() => {});
  });
}
