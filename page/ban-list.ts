/**
 * Peers that sent a bad chunk, kept in sessionStorage so that a ban outlives the leader tab's
 * navigations: "not asked again this session". Peer ids are per signaling connection, so a
 * banned visitor who reconnects gets a new id; the list is capped to stay small.
 */
import { AGENT_LIMITS } from './config.js';

const BAN_LIST_KEY = 'peerconnect:banned';

export class BanList {
  private readonly ids: Set<string>;

  private readonly storage = safeSessionStorage();

  constructor() {
    this.ids = new Set(this.load());
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    this.ids.add(id);
    const kept = [...this.ids].slice(-AGENT_LIMITS.maxBannedPeers);
    try {
      this.storage?.setItem(BAN_LIST_KEY, JSON.stringify(kept));
    } catch {
      // Storage full or blocked: the ban still holds for this page.
    }
  }

  private load(): string[] {
    try {
      const parsed: unknown = JSON.parse(this.storage?.getItem(BAN_LIST_KEY) ?? '[]');
      return Array.isArray(parsed)
        ? parsed.filter((id): id is string => typeof id === 'string')
        : [];
    } catch {
      return [];
    }
  }
}

function safeSessionStorage(): Storage | undefined {
  try {
    return globalThis.sessionStorage;
  } catch {
    return undefined;
  }
}
