import {
  type Bitfield,
  type ClientMessage,
  encodeSignalMessage,
  PeerConnectError,
  parseServerMessage,
  type ServerMessage,
  SIGNALING_LIMITS,
  type SignalData,
} from '../protocol/index.js';
import { backoffDelay } from './backoff.js';
import { AGENT_LIMITS } from './config.js';

/** `find` ids wrap here: a wire-format bound (the protocol's uint32), not a tunable limit. */
const FIND_ID_LIMIT = 2 ** 32;

export type SignalingState = 'connecting' | 'open' | 'closed';

export interface SignalingClientEvents {
  /** Joined (again, after a reconnect) with this peer id. */
  welcome: string;
  signal: { from: string; data: SignalData };
  state: SignalingState;
}

export interface SignalingClientOptions {
  url: string;
  /** The manifest version. */
  swarm: string;
  /** Number of assets in the manifest: the bitfield's length. */
  assets: number;
  have: Bitfield;
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: PeerConnectError): void;
}

interface PendingFind extends Waiter<string[]> {
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * The peer agent's connection to the signaling server: joins the swarm, finds holders of an
 * asset, relays WebRTC signals, and rejoins with backoff after an unexpected close. Everything
 * that waits on it has a deadline, so a dead server only ever costs a fast origin fallback.
 */
export class SignalingClient extends EventTarget {
  /** Counters for the agent's stats: dropped malformed frames, error answers, reconnects. */
  readonly stats = { malformedFrames: 0, serverErrors: 0, reconnects: 0 };
  private readonly url: string;
  private readonly swarm: string;
  private readonly assets: number;
  private have: Bitfield;
  private currentState: SignalingState = 'closed';
  private socket: WebSocket | undefined;
  private currentPeerId: string | undefined;
  private advertisedIceServers: RTCIceServer[] | undefined;
  /** Between connect() and close(): every unexpected close schedules a reconnect. */
  private wanted = false;
  private attempt = 0;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private waiters: Waiter<string>[] = [];
  private readonly finds = new Map<number, PendingFind>();
  private nextFindId = 0;

  constructor(options: SignalingClientOptions) {
    super();
    if (options.have.length !== options.assets) {
      throw new RangeError(`bitfield of ${options.have.length} bits for ${options.assets} assets`);
    }
    this.url = options.url;
    this.swarm = options.swarm;
    this.assets = options.assets;
    this.have = options.have;
  }

  get state(): SignalingState {
    return this.currentState;
  }

  /** This peer's id while joined. */
  get peerId(): string | undefined {
    return this.currentPeerId;
  }

  /** Typed addEventListener: calls `listener` with the event's detail; returns an unsubscriber. */
  on<K extends keyof SignalingClientEvents>(
    type: K,
    listener: (detail: SignalingClientEvents[K]) => void,
  ): () => void {
    const handler = (event: Event) =>
      listener((event as CustomEvent<SignalingClientEvents[K]>).detail);
    this.addEventListener(type, handler);
    return () => this.removeEventListener(type, handler);
  }

  /**
   * Joins the swarm; resolves with the peer id. Rejects with signaling-unavailable if this
   * attempt fails or misses AGENT_LIMITS.signalingConnectTimeoutMs; the client keeps retrying
   * in the background (watch 'welcome') until close().
   */
  connect(): Promise<string> {
    this.wanted = true;
    if (this.currentState === 'open' && this.currentPeerId) {
      return Promise.resolve(this.currentPeerId);
    }
    const joined = new Promise<string>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
    });
    if (!this.socket) {
      clearTimeout(this.reconnectTimer);
      this.open();
    }
    return joined;
  }

  /**
   * Up to SIGNALING_LIMITS.maxFoundPeers other peers holding `asset`. Rejects at once when not
   * joined, so callers fall back to the origin fast.
   */
  find(asset: number): Promise<string[]> {
    if (this.currentState !== 'open') {
      return Promise.reject(new PeerConnectError('signaling-unavailable', 'not joined'));
    }
    const id = this.nextFindId;
    this.nextFindId = (id + 1) % FIND_ID_LIMIT;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.finds.delete(id);
        reject(new PeerConnectError('peer-timeout', `no answer to find ${asset}`));
      }, AGENT_LIMITS.signalingFindTimeoutMs);
      this.finds.set(id, { resolve, reject, timer });
      this.send({ t: 'find', id, asset, max: SIGNALING_LIMITS.maxFoundPeers });
    });
  }

  /** Announces the assets held now; remembered for rejoining after a reconnect. */
  setHave(have: Bitfield): void {
    if (have.length !== this.assets) {
      throw new RangeError(`bitfield of ${have.length} bits for ${this.assets} assets`);
    }
    this.have = have;
    // Once the join is sent the server processes frames in order, so `have` may follow at once.
    this.send({ t: 'have', have: have.toBase64() });
  }

  /** Relays `data` to peer `to`; false (and dropped) when not joined. */
  signal(to: string, data: SignalData): boolean {
    if (this.currentState !== 'open') return false;
    return this.send({ t: 'signal', to, data });
  }

  /** Leaves for good: no reconnect; pending connect() and find() calls reject. */
  close(): void {
    this.wanted = false;
    clearTimeout(this.reconnectTimer);
    if (this.socket) this.drop(this.socket, 'closed by the agent');
    else this.setState('closed');
  }

  private open(): void {
    this.setState('connecting');
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.url);
    } catch (err) {
      this.fail(err instanceof Error ? err.message : 'cannot open the socket');
      return;
    }
    this.socket = socket;
    socket.addEventListener('open', () => {
      if (socket !== this.socket) return;
      const { swarm, assets, have } = this;
      this.send({ t: 'join', swarm, assets, have: have.toBase64() });
    });
    socket.addEventListener('message', (event) => this.onFrame(socket, event.data));
    socket.addEventListener('error', () => this.drop(socket, 'socket error'));
    socket.addEventListener('close', (event) => this.drop(socket, `closed (${event.code})`));
    const timeoutMs = AGENT_LIMITS.signalingConnectTimeoutMs;
    this.connectTimer = setTimeout(
      () => this.drop(socket, `no welcome within ${timeoutMs} ms`),
      timeoutMs,
    );
  }

  private send(message: ClientMessage): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== socket.OPEN) return false;
    socket.send(encodeSignalMessage(message));
    return true;
  }

  /** Malformed frames are counted and dropped: the server is not trusted to be well-formed. */
  private onFrame(socket: WebSocket, data: unknown): void {
    if (socket !== this.socket) return;
    let message: ServerMessage;
    try {
      if (typeof data !== 'string') throw new TypeError('binary frame');
      message = parseServerMessage(data);
    } catch {
      this.stats.malformedFrames++;
      return;
    }
    switch (message.t) {
      case 'welcome':
        if (message.iceServers) this.advertisedIceServers = message.iceServers;
        this.onWelcome(message.peerId);
        break;
      case 'found':
        this.onFound(message.id, message.peers);
        break;
      case 'signal':
        this.emit('signal', { from: message.from, data: message.data });
        break;
      case 'error':
        this.stats.serverErrors++;
        // Before welcome, an error can only answer the join: this attempt has failed.
        if (this.currentState !== 'open') this.drop(socket, `join refused: ${message.code}`);
        break;
    }
  }

  /**
   * The STUN/TURN servers the signaling server told us to use (its TURN credentials are this
   * visit's), or undefined when it said nothing (a server that predates them).
   */
  get iceServers(): RTCIceServer[] | undefined {
    return this.advertisedIceServers;
  }

  private onFound(id: number, peers: string[]): void {
    const pending = this.finds.get(id);
    if (!pending) return;
    this.finds.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(peers);
  }

  private onWelcome(peerId: string): void {
    clearTimeout(this.connectTimer);
    this.attempt = 0;
    this.currentPeerId = peerId;
    this.setState('open');
    this.emit('welcome', peerId);
    for (const waiter of this.waiters.splice(0)) waiter.resolve(peerId);
  }

  /** The one teardown path of a socket, whatever ended it; later events of that socket are ignored. */
  private drop(socket: WebSocket, reason: string): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    socket.close();
    this.fail(reason);
  }

  private fail(reason: string): void {
    clearTimeout(this.connectTimer);
    this.currentPeerId = undefined;
    const err = new PeerConnectError('signaling-unavailable', reason);
    for (const waiter of this.waiters.splice(0)) waiter.reject(err);
    for (const pending of this.finds.values()) {
      clearTimeout(pending.timer);
      pending.reject(err);
    }
    this.finds.clear();
    this.setState('closed');
    if (this.wanted) {
      this.reconnectTimer = setTimeout(
        () => {
          this.stats.reconnects++;
          this.open();
        },
        backoffDelay(this.attempt++),
      );
    }
  }

  private setState(state: SignalingState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.emit('state', state);
  }

  private emit<K extends keyof SignalingClientEvents>(
    type: K,
    detail: SignalingClientEvents[K],
  ): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
