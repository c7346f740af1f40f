import { type DialFailure, PeerConnectError, type SignalData } from '../protocol/index.js';
import { BanList } from './ban-list.js';
import { AGENT_LIMITS } from './config.js';
import { debug } from './log.js';
import { Peer, type UploadHandler } from './peer.js';
import { PeerConnection } from './peer-connection.js';

/** What the pool needs from signaling: relaying offers, answers and candidates. */
export interface SignalRelay {
  readonly peerId: string | undefined;
  signal(to: string, data: SignalData): void;
}

export type DialOutcome =
  | { ok: true; pair: string | undefined }
  | { ok: false; failure: DialFailure };

export interface PeerPoolOptions {
  relay: SignalRelay;
  onUpload: UploadHandler;
  onChange?: () => void;
  /** Each dial's outcome, for diagnostics: the candidate pair that won, or why it failed. */
  onDial?: (outcome: DialOutcome) => void;
  iceServers?: () => RTCIceServer[];
}

/**
 * Every peer connection of this visitor, kept open and reused across assets. A peer that sent
 * one bad chunk is banned for the session: never connected to or asked again. A peer whose
 * connection failed (ICE, or no open channel within the connect timeout) is not dialled again.
 */
export class PeerPool {
  private readonly options: PeerPoolOptions;
  private readonly connections = new Map<string, PeerConnection>();
  private readonly peers = new Map<string, Peer>();
  private readonly connecting = new Map<string, Promise<Peer>>();
  /** When each pending connection started (Date.now()). */
  private readonly connectingSince = new Map<string, number>();
  private readonly banned = new BanList();
  /** Peers whose connection failed: dialling them again would only cost requests time. */
  private readonly unreachable = new Set<string>();
  private readonly sweepTimer: ReturnType<typeof setInterval>;
  private closed = false;

  constructor(options: PeerPoolOptions) {
    this.options = options;
    this.sweepTimer = setInterval(() => this.closeIdle(), AGENT_LIMITS.peerIdleSweepMs);
  }

  get size(): number {
    return this.peers.size;
  }

  /**
   * Banned, proved unreachable, or still connecting after a request already waited its dial
   * budget for it: not worth waiting on (the connection goes on, and serves once open).
   */
  isUseless(id: string): boolean {
    if (this.banned.has(id) || this.unreachable.has(id)) return true;
    const since = this.connectingSince.get(id);
    return since !== undefined && Date.now() - since >= AGENT_LIMITS.peerDialWaitMs;
  }

  /** An open peer, reusing an existing or pending connection. */
  connect(id: string): Promise<Peer> {
    if (this.closed) return Promise.reject(new PeerConnectError('peer-closed', 'pool closed'));
    if (this.banned.has(id)) return Promise.reject(new PeerConnectError('bad-hash', 'banned'));
    if (this.unreachable.has(id)) {
      return Promise.reject(new PeerConnectError('peer-unreachable', 'failed before'));
    }
    const open = this.peers.get(id);
    if (open) return Promise.resolve(open);
    const pending = this.connecting.get(id);
    if (pending) return pending;
    if (!this.makeRoom()) {
      return Promise.reject(new PeerConnectError('peer-busy', 'too many peer connections'));
    }
    return this.open(id, true);
  }

  handleSignal(from: string, data: SignalData): void {
    if (this.closed || this.banned.has(from)) return;
    const existing = this.connections.get(from);
    if (data.type === 'offer') {
      if (existing?.initiator && !existing.closed) {
        // Both sides dialled at once: the lower peer id keeps its own offer.
        const localId = this.options.relay.peerId ?? '';
        if (localId < from) return;
        existing.destroy(new PeerConnectError('peer-closed', 'simultaneous connect'));
      } else if (existing && !existing.closed) {
        return;
      }
      if (!this.makeRoom()) return;
      void this.open(from, false).catch(() => {});
      void this.connections.get(from)?.handleSignal(data);
      return;
    }
    void existing?.handleSignal(data);
  }

  ban(id: string, error: PeerConnectError): void {
    this.banned.add(id);
    (this.peers.get(id) ?? this.connections.get(id))?.destroy(error);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweepTimer);
    for (const connection of this.connections.values()) {
      connection.destroy(new PeerConnectError('peer-closed', 'agent stopped'));
    }
  }

  private open(id: string, initiator: boolean): Promise<Peer> {
    debug(initiator ? 'dialling' : 'answering', id);
    const connection = new PeerConnection({
      remoteId: id,
      initiator,
      sendSignal: (data) => this.options.relay.signal(id, data),
      iceServers: this.options.iceServers?.(),
    });
    this.connections.set(id, connection);
    connection.onClose(() => {
      const failure = connection.dialFailure;
      if (failure) {
        debug('dial failed', id, failure);
        this.markUnreachable(id);
        this.options.onDial?.({ ok: false, failure });
      }
      if (this.connections.get(id) === connection) this.connections.delete(id);
      if (this.peers.get(id)?.closed) this.peers.delete(id);
      this.connecting.delete(id);
      this.connectingSince.delete(id);
      this.options.onChange?.();
    });
    const ready: Promise<Peer> = connection.opened.then(
      () => {
        const peer = new Peer({ connection, onUpload: this.options.onUpload });
        this.peers.set(id, peer);
        this.connecting.delete(id);
        this.connectingSince.delete(id);
        this.options.onChange?.();
        void connection.selectedPair().then((pair) => {
          debug('peer connected', id, initiator ? '(we dialled)' : '(they dialled)', 'via', pair);
          this.options.onDial?.({ ok: true, pair });
        });
        return peer;
      },
      (err) => {
        // Both sides dialled and ours gave way: whoever waited on it gets the connection that won.
        const next = this.connecting.get(id);
        if (next && next !== ready) return next;
        throw err;
      },
    );
    this.connecting.set(id, ready);
    this.connectingSince.set(id, Date.now());
    return ready;
  }

  private markUnreachable(id: string): void {
    this.unreachable.add(id);
    if (this.unreachable.size > AGENT_LIMITS.maxUnreachablePeers) {
      const oldest = this.unreachable.values().next().value;
      if (oldest !== undefined) this.unreachable.delete(oldest);
    }
  }

  /** Keeps the connection count under the cap by closing the longest-idle unused peer. */
  private makeRoom(): boolean {
    if (this.connections.size < AGENT_LIMITS.maxPeerConnections) return true;
    const idle = [...this.peers.values()]
      .filter((peer) => peer.requestsInFlight === 0 && peer.uploadsInFlight === 0)
      .sort((a, b) => a.lastActivity - b.lastActivity)[0];
    if (!idle) return false;
    idle.destroy(new PeerConnectError('peer-closed', 'making room'));
    return true;
  }

  private closeIdle(): void {
    const cutoff = Date.now() - AGENT_LIMITS.peerIdleMs;
    for (const peer of this.peers.values()) {
      if (peer.lastActivity < cutoff && peer.requestsInFlight === 0 && peer.uploadsInFlight === 0) {
        peer.destroy(new PeerConnectError('peer-closed', 'idle'));
      }
    }
  }
}
