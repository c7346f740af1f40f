import {
  BROADCAST_CHANNEL_NAME,
  type BroadcastMessage,
  CANDIDATE_PAIR,
  type DialStats,
  emptyDialStats,
  MAX_CANDIDATE_PAIRS,
  parseBroadcast,
  parseServedReport,
  type ServedReport,
} from '../protocol/index.js';
import { AGENT_LIMITS } from './config.js';
import type { DialOutcome } from './peer-pool.js';
import { type UploadPause, type UploadPolicy, uploadPause } from './upload-policy.js';
import type { OptOutReason } from './visitor-policy.js';

export interface PeerConnectStats extends DialStats {
  bytesFromPeers: number;
  bytesFromOrigin: number;
  bytesFromCache: number;
  /** Uploaded this browser session (all tabs of the origin, and across reloads). */
  bytesUploaded: number;
  peers: number;
  /** The site's upload budget for a browser session. */
  uploadBudgetBytes: number;
  /** The site's upload rate caps, all peers together and per peer; null: none. */
  uploadRateBytesPerSec: number | null;
  uploadPeerRateBytesPerSec: number | null;
  /** Why this visitor uploads nothing now; null while it does. */
  uploadsPaused: UploadPause | OptOutReason | null;
}

/** sessionStorage key of the bytes uploaded this session, so a reload does not reset the budget. */
export const UPLOADED_KEY = 'peerconnect:uploaded';

function storedUploaded(): number {
  try {
    const value = Number(sessionStorage.getItem(UPLOADED_KEY));
    return Number.isSafeInteger(value) && value > 0 ? value : 0;
  } catch {
    return 0;
  }
}

/** The `peers` event: how many connections are open, and whether every dial so far failed. */
export interface PeersChange {
  peers: number;
  /** True when no peer connection is open and at least one dial failed: nobody was reachable. */
  unreachable: boolean;
}

/**
 * The numbers behind `peerconnect.stats()`. Download figures are this page's own (the worker
 * reports every asset it served to it); upload and peer figures are the leader tab's, which
 * holds the connections for every tab of the origin.
 */
export class AgentStats {
  readonly totals: Omit<
    PeerConnectStats,
    'uploadBudgetBytes' | 'uploadRateBytesPerSec' | 'uploadPeerRateBytesPerSec' | 'uploadsPaused'
  > = {
    bytesFromPeers: 0,
    bytesFromOrigin: 0,
    bytesFromCache: 0,
    bytesUploaded: 0,
    peers: 0,
    ...emptyDialStats(),
  };
  private isLeader = false;
  private readonly channel = new BroadcastChannel(BROADCAST_CHANNEL_NAME);

  constructor(
    private readonly onServed: (report: ServedReport) => void,
    private readonly onPeers: (change: PeersChange) => void,
    private readonly upload: {
      policy: UploadPolicy;
      /** Why this visitor takes no part in P2P now, if it does not. */
      optOut: () => OptOutReason | undefined;
    },
  ) {
    navigator.serviceWorker?.addEventListener('message', (event) => {
      let report: ServedReport;
      try {
        report = parseServedReport(event.data);
      } catch {
        return;
      }
      this.totals.bytesFromPeers += report.peer;
      this.totals.bytesFromOrigin += report.origin;
      this.totals.bytesFromCache += report.cache;
      this.onServed(report);
    });
    // Reports the worker sent before this script ran were queued; deliver them now.
    navigator.serviceWorker?.startMessages();
    this.channel.onmessage = (event) => {
      let message: BroadcastMessage;
      try {
        message = parseBroadcast(event.data);
      } catch {
        return;
      }
      if (message.type === 'pc:leader-stats' && !this.isLeader) {
        this.totals.bytesUploaded = message.bytesUploaded;
        if (message.dialFailures) this.totals.dialFailures = message.dialFailures;
        if (message.candidatePairs) this.totals.candidatePairs = message.candidatePairs;
        this.setPeersLocally(message.peers);
      }
    };
  }

  get bytesUploaded(): number {
    return this.totals.bytesUploaded;
  }

  set bytesUploaded(value: number) {
    this.totals.bytesUploaded = value;
  }

  /**
   * Called once this tab becomes the leader: from now on it publishes the shared figures. The
   * session's upload count goes on from the last leader's (heard on the channel) or this tab's
   * own from before a reload, whichever is higher.
   */
  lead(): void {
    this.isLeader = true;
    this.totals.bytesUploaded = Math.max(this.totals.bytesUploaded, storedUploaded());
    setInterval(() => this.publish(), AGENT_LIMITS.leaderStatsIntervalMs);
    window.addEventListener('pagehide', () => this.keepUploaded());
  }

  setPeers(peers: number): void {
    this.setPeersLocally(peers);
    this.publish();
  }

  /** The leader's dials: which candidate pairs won, and why the others failed. */
  recordDial(outcome: DialOutcome): void {
    if (outcome.ok) {
      const pairs = this.totals.candidatePairs;
      const pair = outcome.pair;
      if (pair && CANDIDATE_PAIR.test(pair) && !pairs.includes(pair)) {
        if (pairs.length < MAX_CANDIDATE_PAIRS) pairs.push(pair);
      }
    } else {
      this.totals.dialFailures[outcome.failure]++;
      if (this.totals.peers === 0) this.onPeers(this.peersChange());
    }
    this.publish();
  }

  snapshot(): PeerConnectStats {
    const { policy, optOut } = this.upload;
    return {
      ...this.totals,
      dialFailures: { ...this.totals.dialFailures },
      candidatePairs: [...this.totals.candidatePairs],
      uploadBudgetBytes: policy.budgetBytes,
      uploadRateBytesPerSec: policy.rateBytesPerSec ?? null,
      uploadPeerRateBytesPerSec: policy.peerRateBytesPerSec ?? null,
      uploadsPaused: optOut() ?? uploadPause(policy, this.totals.bytesUploaded) ?? null,
    };
  }

  private keepUploaded(): void {
    try {
      sessionStorage.setItem(UPLOADED_KEY, String(this.totals.bytesUploaded));
    } catch {
      // Storage blocked: the count lasts as long as the tab.
    }
  }

  private peersChange(): PeersChange {
    const failures = Object.values(this.totals.dialFailures).reduce((sum, n) => sum + n, 0);
    return { peers: this.totals.peers, unreachable: this.totals.peers === 0 && failures > 0 };
  }

  private setPeersLocally(peers: number): void {
    if (peers === this.totals.peers) return;
    this.totals.peers = peers;
    this.onPeers(this.peersChange());
  }

  private publish(): void {
    if (!this.isLeader) return;
    this.keepUploaded();
    const message: BroadcastMessage = {
      type: 'pc:leader-stats',
      bytesUploaded: this.totals.bytesUploaded,
      peers: this.totals.peers,
      dialFailures: this.totals.dialFailures,
      candidatePairs: this.totals.candidatePairs,
    };
    this.channel.postMessage(message);
  }
}
