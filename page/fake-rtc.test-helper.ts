import { vi } from 'vitest';
import { FakeRTCDataChannel } from './fake-rtc-channel.test-helper.js';
import { domError, fire, type Handler, later } from './fake-rtc-events.test-helper.js';

/**
 * In-memory stand-ins for RTCPeerConnection and RTCDataChannel: two fake connections that
 * exchange an offer, an answer and candidates really connect, and their negotiated channels
 * deliver messages to each other, in order, as copies. What the agent relies on behaves like
 * Chromium: `send` throws unless open and past 16 MiB queued, `bufferedAmount` grows on send
 * and shrinks as the far end reads (`bytesPerTick` per macrotask), `bufferedamountlow` fires on
 * crossing the threshold, `pc.close()` fires no event locally but closes the far end's
 * channels, and `candidate`s before a remote description are refused.
 *
 * Everything runs on `setImmediate`, so tests may fake `setTimeout`/`setInterval` freely.
 * Use `installFakeRtc()` and `vi.unstubAllGlobals()` after each test.
 */

const SDP_ID = /^o=fake (\d+)$/m;

export class FakeRtcNetwork {
  /** Every fake connection made, in order. */
  readonly connections: FakeRTCPeerConnection[] = [];
  /** False: ICE checks never succeed and connections stay `connecting` (an unreachable peer). */
  reachable = true;
  /** Bytes a channel hands the far end per macrotask: the link's speed. */
  bytesPerTick = 256 * 1024;
  private nextId = 1;

  register(pc: FakeRTCPeerConnection): number {
    this.connections.push(pc);
    return this.nextId++;
  }

  byId(id: number): FakeRTCPeerConnection | undefined {
    return this.connections.find((pc) => pc.id === id);
  }

  /** Connections not closed yet. */
  get live(): FakeRTCPeerConnection[] {
    return this.connections.filter((pc) => pc.connectionState !== 'closed');
  }
}

/** Replaces the global RTCPeerConnection with fakes on one new in-memory network. */
export function installFakeRtc(): FakeRtcNetwork {
  const network = new FakeRtcNetwork();
  vi.stubGlobal(
    'RTCPeerConnection',
    class extends FakeRTCPeerConnection {
      constructor(configuration?: RTCConfiguration) {
        super(network, configuration);
      }
    },
  );
  return network;
}

export class FakeRTCPeerConnection extends EventTarget {
  readonly id: number;
  readonly configuration: RTCConfiguration;
  readonly channels: FakeRTCDataChannel[] = [];
  /** Remote candidates added, in order. */
  readonly candidates: RTCIceCandidateInit[] = [];
  connectionState: RTCPeerConnectionState = 'new';
  signalingState: RTCSignalingState = 'stable';
  localDescription: RTCSessionDescriptionInit | null = null;
  remoteDescription: RTCSessionDescriptionInit | null = null;
  onicecandidate: Handler = null;
  onconnectionstatechange: Handler = null;
  /** The connection the remote description came from. */
  remote: FakeRTCPeerConnection | undefined;
  private gathered = false;

  constructor(
    readonly network: FakeRtcNetwork,
    configuration: RTCConfiguration = {},
  ) {
    super();
    this.configuration = configuration;
    this.id = network.register(this);
  }

  createDataChannel(label: string, init: RTCDataChannelInit = {}): FakeRTCDataChannel {
    this.assertOpen();
    if (!init.negotiated || init.id === undefined) {
      throw new Error('the fake supports negotiated channels only');
    }
    const channel = new FakeRTCDataChannel(this, label, init.id);
    this.channels.push(channel);
    return channel;
  }

  async createOffer(): Promise<RTCSessionDescriptionInit> {
    this.assertOpen();
    return { type: 'offer', sdp: this.sdp() };
  }

  async createAnswer(): Promise<RTCSessionDescriptionInit> {
    this.assertOpen();
    if (this.remoteDescription?.type !== 'offer') throw domError('InvalidStateError', 'no offer');
    return { type: 'answer', sdp: this.sdp() };
  }

  async setLocalDescription(description: RTCSessionDescriptionInit): Promise<void> {
    await Promise.resolve();
    this.assertOpen();
    this.localDescription = { ...description };
    this.signalingState = description.type === 'offer' ? 'have-local-offer' : 'stable';
    this.gather();
    this.tryConnect();
  }

  async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    await Promise.resolve();
    this.assertOpen();
    const remote = this.network.byId(Number(SDP_ID.exec(description.sdp ?? '')?.[1]));
    if (!remote) throw domError('OperationError', 'cannot parse the description');
    if (description.type === 'offer' && this.signalingState !== 'stable') {
      throw domError('InvalidStateError', `offer in state ${this.signalingState}`);
    }
    if (description.type === 'answer' && this.signalingState !== 'have-local-offer') {
      throw domError('InvalidStateError', `answer in state ${this.signalingState}`);
    }
    this.remoteDescription = { ...description };
    this.remote = remote;
    this.signalingState = description.type === 'offer' ? 'have-remote-offer' : 'stable';
    this.tryConnect();
  }

  async addIceCandidate(candidate: RTCIceCandidateInit): Promise<void> {
    await Promise.resolve();
    this.assertOpen();
    if (!this.remoteDescription) {
      throw domError('InvalidStateError', 'The remote description was null');
    }
    this.candidates.push(candidate);
    this.tryConnect();
  }

  /** What Chromium's getStats() says of the selected pair: host candidates on both sides. */
  async getStats(): Promise<Map<string, Record<string, unknown>>> {
    return new Map<string, Record<string, unknown>>([
      ['T1', { type: 'transport', selectedCandidatePairId: 'CP1' }],
      ['CP1', { type: 'candidate-pair', localCandidateId: 'L1', remoteCandidateId: 'R1' }],
      ['L1', { type: 'local-candidate', candidateType: 'host' }],
      ['R1', { type: 'remote-candidate', candidateType: 'host' }],
    ]);
  }

  /** Closes at once; no event here, but the far end's channels close. */
  close(): void {
    if (this.connectionState === 'closed') return;
    this.connectionState = 'closed';
    this.signalingState = 'closed';
    for (const channel of this.channels) channel.abort();
  }

  /** ICE gives up (a path that stopped working): `failed`, and the channels close. */
  failIce(): void {
    if (this.connectionState === 'closed') return;
    this.setState('failed');
    for (const channel of this.channels) channel.closeNow();
  }

  private sdp(): string {
    return `v=0\r\no=fake ${this.id}\r\ns=-\r\n`;
  }

  private assertOpen(): void {
    if (this.connectionState === 'closed') {
      throw domError('InvalidStateError', 'The RTCPeerConnection is closed');
    }
  }

  /** One host candidate, then the end of candidates. */
  private gather(): void {
    if (this.gathered) return;
    this.gathered = true;
    later(() => {
      if (this.connectionState === 'closed') return;
      const candidate = {
        candidate: `candidate:1 1 udp 2122260223 10.0.0.${this.id} 50000 typ host`,
        sdpMid: '0',
        sdpMLineIndex: 0,
        usernameFragment: `u${this.id}`,
      };
      fire(this, Object.assign(new Event('icecandidate'), { candidate }));
      fire(this, Object.assign(new Event('icecandidate'), { candidate: null }));
    });
  }

  /** Both descriptions and a remote candidate on both sides: ICE succeeds (if reachable). */
  private tryConnect(): void {
    const ready =
      this.localDescription !== null &&
      this.remoteDescription !== null &&
      this.candidates.length > 0;
    if (!ready || this.connectionState !== 'new') return;
    this.setState('connecting');
    const remote = this.remote;
    if (!remote || remote.remote !== this || remote.connectionState !== 'connecting') return;
    if (!this.network.reachable) return;
    later(() => {
      if (this.connectionState !== 'connecting' || remote.connectionState !== 'connecting') return;
      this.setState('connected');
      remote.setState('connected');
      for (const channel of this.channels) {
        const other = remote.channels.find((c) => c.id === channel.id);
        if (other) channel.pair(other);
      }
    });
  }

  private setState(state: RTCPeerConnectionState): void {
    if (this.connectionState === state) return;
    this.connectionState = state;
    fire(this, new Event('connectionstatechange'));
  }
}

export { FakeRTCDataChannel };
