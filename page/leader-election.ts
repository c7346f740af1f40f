/** One tab per origin holds the peer connections; the Web Lock passes on when that tab closes. */
export const LEADER_LOCK_NAME = 'peerconnect-leader';

export function runWhenLeader(lead: () => void): void {
  if (!navigator.locks) {
    // No Web Locks: every tab leads on its own, which still works, with more connections.
    lead();
    return;
  }
  void navigator.locks.request(LEADER_LOCK_NAME, () => {
    lead();
    // Held for the life of the tab; the browser releases it when the tab goes away.
    return new Promise<never>(() => {});
  });
}
