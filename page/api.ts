import type { ServedReport } from '../protocol/index.js';
import { AgentStats, type PeerConnectStats, type PeersChange } from './stats.js';
import type { UploadPolicy } from './upload-policy.js';
import { p2pOptOutReason, setOptOut } from './visitor-policy.js';

export interface PeerConnectEvents {
  /** The worker served an asset to this page (detail: where its bytes came from). */
  asset: ServedReport;
  /**
   * The number of open peer connections changed, or a dial failed with none open (detail:
   * `{ peers, unreachable }`; `unreachable` is true when every peer found so far failed).
   */
  peers: PeersChange;
  /** This tab became the one holding the origin's peer connections. */
  leader: undefined;
  /** The visitor opted in or out on this page (optIn / optOut). */
  choice: undefined;
}

export interface PeerConnectSettings {
  /** What the site lets a visitor upload (data-upload-* attributes). */
  policy: UploadPolicy;
  /** `data-consent="required"`: no peers until `optIn()`. */
  consentRequired: boolean;
}

/**
 * `window.peerconnect`: what a site or a visitor can ask of PeerConnect on this page.
 * It is an EventTarget: `peerconnect.addEventListener('asset', (e) => e.detail)`.
 */
export class PeerConnectApi extends EventTarget {
  readonly agentStats: AgentStats;
  private isLeader = false;

  constructor(readonly settings: PeerConnectSettings) {
    super();
    this.agentStats = new AgentStats(
      (report) => this.emit('asset', report),
      (change) => this.emit('peers', change),
      { policy: settings.policy, optOut: () => p2pOptOutReason(settings.consentRequired) },
    );
  }

  /** Bytes this page received from peers, the origin and the local store; uploads; peers. */
  stats(): PeerConnectStats {
    return this.agentStats.snapshot();
  }

  get leader(): boolean {
    return this.isLeader;
  }

  /** Stops peer-to-peer delivery for this visitor at once, in every tab (kept in localStorage). */
  optOut(): void {
    setOptOut(true);
    this.emit('choice', undefined);
  }

  /** Starts it again, or for the first time where the site requires consent. */
  optIn(): void {
    setOptOut(false);
    this.emit('choice', undefined);
  }

  becomeLeader(): void {
    this.isLeader = true;
    this.agentStats.lead();
    this.emit('leader', undefined);
  }

  private emit<K extends keyof PeerConnectEvents>(type: K, detail: PeerConnectEvents[K]): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
