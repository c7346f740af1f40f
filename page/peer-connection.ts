import { type DialFailure, PeerConnectError, type SignalData } from '../protocol/index.js';
import { AGENT_LIMITS } from './config.js';
import { debug } from './log.js';

export interface PeerConnectionOptions {
  remoteId: string;
  /** The initiator makes the offer; the other side answers. */
  initiator: boolean;
  sendSignal: (data: SignalData) => void;
  iceServers?: RTCIceServer[];
}

type Listener<T> = (value: T) => void;

/**
 * One WebRTC connection with one ordered, reliable data channel. The channel is pre-negotiated
 * (id 0) on both sides, so no `datachannel` event and no renegotiation is ever needed.
 * All teardown goes through `destroy`, once.
 */
export class PeerConnection {
  readonly remoteId: string;
  readonly initiator: boolean;
  readonly opened: Promise<void>;
  private readonly pc: RTCPeerConnection;
  private readonly channel: RTCDataChannel;
  private readonly sendSignal: (data: SignalData) => void;
  private readonly pendingCandidates: RTCIceCandidateInit[] = [];
  private readonly messageListeners = new Set<Listener<ArrayBuffer>>();
  private readonly closeListeners = new Set<Listener<PeerConnectError>>();
  private readonly drainWaiters = new Set<{ resolve: () => void; reject: (e: Error) => void }>();
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private resolveOpened!: () => void;
  private rejectOpened!: (err: Error) => void;
  private closedWith: PeerConnectError | undefined;
  private everOpened = false;
  private failure: DialFailure | undefined;

  constructor(options: PeerConnectionOptions) {
    this.remoteId = options.remoteId;
    this.initiator = options.initiator;
    this.sendSignal = options.sendSignal;
    this.opened = new Promise((resolve, reject) => {
      this.resolveOpened = resolve;
      this.rejectOpened = reject;
    });
    // Nobody awaits `opened` after a failure in some paths; the close listeners carry the error.
    this.opened.catch(() => {});
    this.pc = new RTCPeerConnection({ iceServers: options.iceServers ?? [] });
    this.channel = this.pc.createDataChannel('peerconnect', {
      negotiated: true,
      id: 0,
      ordered: true,
    });
    this.channel.binaryType = 'arraybuffer';
    this.channel.bufferedAmountLowThreshold = AGENT_LIMITS.sendLowWaterMark;
    this.channel.onopen = () => {
      clearTimeout(this.connectTimer);
      this.everOpened = true;
      this.resolveOpened();
    };
    this.channel.onclose = () =>
      this.destroy(new PeerConnectError('peer-closed', 'channel closed'));
    this.channel.onerror = () => this.destroy(new PeerConnectError('peer-closed', 'channel error'));
    this.channel.onmessage = (event: MessageEvent) => {
      if (!(event.data instanceof ArrayBuffer)) {
        this.destroy(new PeerConnectError('bad-wire-message', 'text frame'));
        return;
      }
      for (const listener of this.messageListeners) listener(event.data);
    };
    this.channel.onbufferedamountlow = () => this.settleDrainWaiters();
    this.pc.onicecandidate = (event) => {
      const c = event.candidate;
      this.sendSignal({
        type: 'candidate',
        candidate: c
          ? {
              candidate: c.candidate,
              sdpMid: c.sdpMid,
              sdpMLineIndex: c.sdpMLineIndex,
              usernameFragment: c.usernameFragment,
            }
          : null,
      });
    };
    this.pc.oniceconnectionstatechange = () =>
      debug('ice', this.remoteId, this.pc.iceConnectionState);
    this.pc.onconnectionstatechange = () => {
      const state = this.pc.connectionState;
      // `disconnected` may recover by itself (ICE keeps checking); only `failed` is final.
      if (state === 'failed' || state === 'closed') {
        if (state === 'failed') this.failure = 'ice-failed';
        this.destroy(new PeerConnectError('peer-closed', `connection ${state}`));
      }
    };
    this.connectTimer = setTimeout(() => {
      this.failure = 'connect-timeout';
      this.destroy(new PeerConnectError('peer-timeout', 'connect'));
    }, AGENT_LIMITS.peerConnectTimeoutMs);
    if (this.initiator) void this.makeOffer();
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /**
   * Why this connection never opened, once closed: set only by the network or the exchange
   * failing, never by a local close (glare, making room, the agent stopping).
   */
  get dialFailure(): DialFailure | undefined {
    return this.everOpened ? undefined : this.failure;
  }

  get isOpen(): boolean {
    return !this.closed && this.channel.readyState === 'open';
  }

  onMessage(listener: Listener<ArrayBuffer>): void {
    this.messageListeners.add(listener);
  }

  onClose(listener: Listener<PeerConnectError>): void {
    if (this.closedWith) listener(this.closedWith);
    else this.closeListeners.add(listener);
  }

  async handleSignal(data: SignalData): Promise<void> {
    if (this.closed) return;
    try {
      if (data.type === 'offer') {
        if (this.initiator) throw new PeerConnectError('bad-signal-message', 'offer to initiator');
        await this.pc.setRemoteDescription({ type: 'offer', sdp: data.sdp });
        await this.flushCandidates();
        const answer = await this.pc.createAnswer();
        await this.pc.setLocalDescription(answer);
        this.sendSignal({ type: 'answer', sdp: answer.sdp ?? '' });
      } else if (data.type === 'answer') {
        if (!this.initiator) throw new PeerConnectError('bad-signal-message', 'answer to answerer');
        await this.pc.setRemoteDescription({ type: 'answer', sdp: data.sdp });
        await this.flushCandidates();
      } else if (data.type === 'candidate' && data.candidate) {
        const candidate: RTCIceCandidateInit = {
          candidate: data.candidate.candidate,
          sdpMid: data.candidate.sdpMid ?? null,
          sdpMLineIndex: data.candidate.sdpMLineIndex ?? null,
          usernameFragment: data.candidate.usernameFragment ?? null,
        };
        // Candidates can outrun the description they belong to; keep them until it is set.
        if (this.pc.remoteDescription) await this.addCandidate(candidate);
        else this.pendingCandidates.push(candidate);
      }
    } catch (err) {
      this.failure = 'setup-failed';
      this.destroy(
        err instanceof PeerConnectError ? err : new PeerConnectError('peer-closed', String(err)),
      );
    }
  }

  /** Sends one message; callers keep the queue bounded with `drained()`. */
  send(data: ArrayBuffer): void {
    if (!this.isOpen) throw this.closedWith ?? new PeerConnectError('peer-closed', 'not open');
    this.channel.send(data);
  }

  /** Resolves once the send queue is below the low-water mark (at once when it already is). */
  drained(): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.channel.bufferedAmount <= AGENT_LIMITS.sendLowWaterMark) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.destroy(new PeerConnectError('peer-timeout', 'send queue does not drain')),
        AGENT_LIMITS.sendDrainTimeoutMs,
      );
      this.drainWaiters.add({
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
    });
  }

  get needsDrain(): boolean {
    return this.channel.bufferedAmount > AGENT_LIMITS.sendHighWaterMark;
  }

  destroy(error: PeerConnectError = new PeerConnectError('peer-closed', 'closed locally')): void {
    if (this.closedWith) return;
    this.closedWith = error;
    clearTimeout(this.connectTimer);
    this.rejectOpened(error);
    for (const waiter of this.drainWaiters) waiter.reject(error);
    this.drainWaiters.clear();
    this.channel.onopen = this.channel.onclose = this.channel.onerror = null;
    this.channel.onmessage = this.channel.onbufferedamountlow = null;
    this.pc.onicecandidate = this.pc.onconnectionstatechange = null;
    this.pc.oniceconnectionstatechange = null;
    try {
      this.channel.close();
      this.pc.close();
    } catch {
      // Already closed by the browser.
    }
    this.messageListeners.clear();
    for (const listener of this.closeListeners) listener(error);
    this.closeListeners.clear();
  }

  private async makeOffer(): Promise<void> {
    try {
      const offer = await this.pc.createOffer();
      await this.pc.setLocalDescription(offer);
      this.sendSignal({ type: 'offer', sdp: offer.sdp ?? '' });
    } catch (err) {
      this.failure = 'setup-failed';
      this.destroy(new PeerConnectError('peer-closed', `offer failed: ${String(err)}`));
    }
  }

  private async flushCandidates(): Promise<void> {
    for (const candidate of this.pendingCandidates.splice(0)) await this.addCandidate(candidate);
  }

  /**
   * One candidate that cannot be used (an mDNS name that does not resolve, a malformed line)
   * says nothing about the others: ICE goes on with what it has.
   */
  private async addCandidate(candidate: RTCIceCandidateInit): Promise<void> {
    try {
      await this.pc.addIceCandidate(candidate);
    } catch (err) {
      if (this.closed) return;
      debug('ignored a candidate', this.remoteId, candidate.candidate, err);
    }
  }

  /**
   * The candidate types of the pair ICE selected, local first (`host-host`, `srflx-srflx`,
   * `relay-srflx`, ...): what the visitor's network allowed. Undefined when not known.
   */
  async selectedPair(): Promise<string | undefined> {
    if (!this.isOpen) return undefined;
    try {
      const report = await this.pc.getStats();
      let pairId: string | undefined;
      report.forEach((entry: { type: string; selectedCandidatePairId?: string }) => {
        if (entry.type === 'transport' && entry.selectedCandidatePairId) {
          pairId = entry.selectedCandidatePairId;
        }
      });
      const pair = pairId ? report.get(pairId) : undefined;
      const local = pair ? report.get(pair.localCandidateId) : undefined;
      const remote = pair ? report.get(pair.remoteCandidateId) : undefined;
      if (!local?.candidateType || !remote?.candidateType) return undefined;
      return `${local.candidateType}-${remote.candidateType}`;
    } catch {
      return undefined;
    }
  }

  private settleDrainWaiters(): void {
    for (const waiter of this.drainWaiters) waiter.resolve();
    this.drainWaiters.clear();
  }
}
