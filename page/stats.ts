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

export interface PeerConnectStats extends DialStats {
  bytesFromPeers: number;
  bytesFromOrigin: number;
  bytesFromCache: number;
  bytesUploaded: number;
  peers: number;
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
  readonly totals: PeerConnectStats = {
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

  /** Called once this tab becomes the leader: from now on it publishes the shared figures. */
  lead(): void {
    this.isLeader = true;
    setInterval(() => this.publish(), AGENT_LIMITS.leaderStatsIntervalMs);
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
    return {
      ...this.totals,
      dialFailures: { ...this.totals.dialFailures },
      candidatePairs: [...this.totals.candidatePairs],
    };
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
