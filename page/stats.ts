import {
  BROADCAST_CHANNEL_NAME,
  type BroadcastMessage,
  parseBroadcast,
  parseServedReport,
  type ServedReport,
} from '../protocol/index.js';
import { AGENT_LIMITS } from './config.js';

export interface PeerConnectStats {
  bytesFromPeers: number;
  bytesFromOrigin: number;
  bytesFromCache: number;
  bytesUploaded: number;
  peers: number;
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
  };
  private isLeader = false;
  private readonly channel = new BroadcastChannel(BROADCAST_CHANNEL_NAME);

  constructor(
    private readonly onServed: (report: ServedReport) => void,
    private readonly onPeers: (peers: number) => void,
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

  snapshot(): PeerConnectStats {
    return { ...this.totals };
  }

  private setPeersLocally(peers: number): void {
    if (peers === this.totals.peers) return;
    this.totals.peers = peers;
    this.onPeers(peers);
  }

  private publish(): void {
    if (!this.isLeader) return;
    const message: BroadcastMessage = {
      type: 'pc:leader-stats',
      bytesUploaded: this.totals.bytesUploaded,
      peers: this.totals.peers,
    };
    this.channel.postMessage(message);
  }
}
