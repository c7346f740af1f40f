import {
  type ClientMessage,
  CONTENT_ID,
  encodeSignalMessage,
  PeerConnectError,
  parseServerMessage,
  type ServerMessage,
  SIGNALING_LIMITS,
  SIGNALING_PROTOCOL,
  type SignalData,
} from '../protocol/index.js';
import { backoffDelay } from './backoff.js';
import { AGENT_LIMITS } from './config.js';

/** `find` ids wrap here: a wire-format bound (the protocol's uint32), not a tunable limit. */
const FIND_ID_LIMIT = 2 ** 32;

/**
 * WebSocket close code of a server that speaks another SIGNALING_PROTOCOL (signaling/
 * signal-limits.ts CLOSE_CODES.protocolMismatch): retrying cannot help, so the client stops.
 */
export const PROTOCOL_MISMATCH_CLOSE_CODE = 4000;

/**
 * When the quorum has just been reached (by our join, or a `quorum` message), the other peers
 * are only now sending the announcements they held back: a `find` sent at once would race
 * them and go to the origin. Finds wait this long after the change, about one round trip to
 * the server over a slow link and back; in a swarm that had its quorum already, never.
 */
export const QUORUM_SETTLE_MS = 300;

export type SignalingState = 'connecting' | 'open' | 'closed';

export interface SignalingClientEvents {
  /** Joined (again, after a reconnect) with this peer id. */
  welcome: string;
  signal: { from: string; data: SignalData };
  state: SignalingState;
  /** `quorumReached` changed. */
  quorum: boolean;
}

export interface SignalingClientOptions {
  url: string;
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: PeerConnectError): void;
}

interface PendingFind extends Waiter<string[]> {
  readonly content: string;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** What one socket has been told; a fresh one for every (re)connect. */
interface SocketSession {
  readonly socket: WebSocket;
  /** Set by its `welcome`. */
  joined: boolean;
  /** Whether the swarm has `minSwarm` other peers now (welcome, then each `quorum`). */
  quorum: boolean;
  /** Quorum was reached at least once on this socket: from then on, announcements are sent. */
  disclosing: boolean;
  /** Content ids announced on this socket (a subset of the client's `held`). */
  readonly announced: Set<string>;
  /** Finds wait until then (Date.now()): others' held-back announcements are on their way. */
  settleUntil: number;
}

/**
 * The peer agent's connection to the signaling server (protocol/signaling.ts, v2): joins its
 * site's swarm, announces the content ids it holds once the swarm is large enough, finds holders
 * of a content id, relays WebRTC signals, and rejoins with backoff after an unexpected close.
 * Everything that waits on it has a deadline, so a dead server only ever costs a fast origin
 * fallback.
 */
export class SignalingClient extends EventTarget {
  /**
   * Counters for the agent's stats: dropped malformed frames, error answers, reconnects, and
   * content ids not remembered because SIGNALING_LIMITS.maxAnnouncedIds were held already.
   */
  readonly stats = { malformedFrames: 0, serverErrors: 0, reconnects: 0, droppedIds: 0 };
  private readonly url: string;
  private currentState: SignalingState = 'closed';
  private session: SocketSession | undefined;
  private advertisedIceServers: RTCIceServer[] | undefined;
  /** Every content id this peer holds, as announced by the agent (sent when allowed). */
  private readonly held = new Set<string>();
  /** Between connect() and close(): every unexpected close schedules a reconnect. */
  private wanted = false;
  /** Set by a protocol mismatch: this client can never join that server, so it stops for good. */
  private refused: string | undefined;
  private attempt = 0;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private waiters: Waiter<string>[] = [];
  private readonly finds = new Map<number, PendingFind>();
  private nextFindId = 0;
  private currentPeerId: string | undefined;

  constructor(options: SignalingClientOptions) {
    super();
    this.url = options.url;
  }

  get state(): SignalingState {
    return this.currentState;
  }

  /** This peer's id while joined. */
  get peerId(): string | undefined {
    return this.currentPeerId;
  }

  /**
   * The STUN/TURN servers the last `welcome` told us to use (its TURN credentials are this
   * visit's), or undefined when it said nothing.
   */
  get iceServers(): RTCIceServer[] | undefined {
    return this.advertisedIceServers;
  }

  /** welcome.peers >= welcome.minSwarm, then each `quorum` message. False while not joined. */
  get quorumReached(): boolean {
    return this.session?.joined === true && this.session.quorum;
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
   * in the background (watch 'welcome') until close(), or for good once the server has said it
   * speaks another protocol.
   */
  connect(): Promise<string> {
    if (this.refused !== undefined) {
      return Promise.reject(new PeerConnectError('signaling-unavailable', this.refused));
    }
    this.wanted = true;
    if (this.currentState === 'open' && this.currentPeerId) {
      return Promise.resolve(this.currentPeerId);
    }
    const joined = new Promise<string>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
    });
    if (!this.session) {
      clearTimeout(this.reconnectTimer);
      this.open();
    }
    return joined;
  }

  /**
   * Up to SIGNALING_LIMITS.maxFoundPeers other peers holding `content` (a content id). Rejects
   * at once with signaling-unavailable when not joined, resolves [] at once (no frame sent)
   * while the quorum is not reached, and rejects with peer-timeout past
   * AGENT_LIMITS.signalingFindTimeoutMs, so callers fall back to the origin fast.
   */
  find(content: string): Promise<string[]> {
    if (!CONTENT_ID.test(content)) {
      return Promise.reject(new RangeError(`not a content id: ${content.slice(0, 32)}`));
    }
    if (this.currentState !== 'open') {
      return Promise.reject(new PeerConnectError('signaling-unavailable', 'not joined'));
    }
    if (!this.quorumReached) return Promise.resolve([]);
    const id = this.nextFindId;
    this.nextFindId = (id + 1) % FIND_ID_LIMIT;
    const session = this.session;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.finds.delete(id);
        reject(new PeerConnectError('peer-timeout', `no answer to find ${content}`));
      }, AGENT_LIMITS.signalingFindTimeoutMs);
      this.finds.set(id, { resolve, reject, content, timer });
      const send = () => {
        // Settled on another socket (a reconnect) or already failed: drop() rejected it.
        if (!this.finds.has(id) || this.session !== session) return;
        if (!this.send({ t: 'find', id, content, max: SIGNALING_LIMITS.maxFoundPeers })) {
          clearTimeout(timer);
          this.finds.delete(id);
          reject(new PeerConnectError('signaling-unavailable', 'socket not open'));
        }
      };
      const settle = (session?.settleUntil ?? 0) - Date.now();
      if (settle > 0) setTimeout(send, settle);
      else send();
    });
  }

  /**
   * Adds content ids to what this peer holds. Remembered (at most
   * SIGNALING_LIMITS.maxAnnouncedIds: ids past that are dropped and counted in
   * stats.droppedIds), and sent in batches of SIGNALING_LIMITS.maxIdsPerMessage only while
   * joined and once the quorum has been reached on this socket: until then nothing is disclosed.
   * Everything remembered is sent again after each (re)join, once its quorum is reached.
   * Throws RangeError (remembering nothing) if any id is not a content id.
   */
  announce(ids: Iterable<string>): void {
    const list = [...ids];
    const bad = list.find((id) => !CONTENT_ID.test(id));
    if (bad !== undefined) throw new RangeError(`not a content id: ${bad.slice(0, 32)}`);
    const added: string[] = [];
    for (const id of list) {
      if (this.held.has(id)) continue;
      if (this.held.size >= SIGNALING_LIMITS.maxAnnouncedIds) {
        this.stats.droppedIds++;
        continue;
      }
      this.held.add(id);
      added.push(id);
    }
    // Only the new ids: a page that announces one asset at a time must not cost O(held) each.
    this.sendAnnouncements(added);
  }

  /** Removes content ids from what this peer holds; sent at once for those announced on this socket. */
  withdraw(ids: Iterable<string>): void {
    const announced = this.session?.announced;
    const gone: string[] = [];
    for (const id of ids) {
      this.held.delete(id);
      if (announced?.delete(id)) gone.push(id);
    }
    for (const batch of batches(gone)) this.send({ t: 'withdraw', ids: batch });
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
    if (this.session) this.drop(this.session.socket, 'closed by the agent');
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
    this.session = {
      socket,
      joined: false,
      quorum: false,
      disclosing: false,
      announced: new Set(),
      settleUntil: 0,
    };
    socket.addEventListener('open', () => {
      if (socket !== this.session?.socket) return;
      this.send({ t: 'join', protocol: SIGNALING_PROTOCOL });
    });
    socket.addEventListener('message', (event) => this.onFrame(socket, event.data));
    socket.addEventListener('error', () => this.drop(socket, 'socket error'));
    socket.addEventListener('close', (event) => {
      if (event.code === PROTOCOL_MISMATCH_CLOSE_CODE) {
        this.refuse(socket, `the server speaks another protocol than ${SIGNALING_PROTOCOL}`);
      } else {
        this.drop(socket, `closed (${event.code})`);
      }
    });
    const timeoutMs = AGENT_LIMITS.signalingConnectTimeoutMs;
    this.connectTimer = setTimeout(
      () => this.drop(socket, `no welcome within ${timeoutMs} ms`),
      timeoutMs,
    );
  }

  private send(message: ClientMessage): boolean {
    const socket = this.session?.socket;
    if (!socket || socket.readyState !== socket.OPEN) return false;
    socket.send(encodeSignalMessage(message));
    return true;
  }

  /** Sends those of `ids` not yet announced on this socket, if disclosing is allowed. */
  private sendAnnouncements(ids: Iterable<string>): void {
    const session = this.session;
    if (!session?.joined || !session.disclosing) return;
    const pending = [...ids].filter((id) => !session.announced.has(id));
    for (const batch of batches(pending)) {
      if (!this.send({ t: 'announce', ids: batch })) return;
      for (const id of batch) session.announced.add(id);
    }
  }

  /** Malformed frames are counted and dropped: the server is not trusted to be well-formed. */
  private onFrame(socket: WebSocket, data: unknown): void {
    const session = this.session;
    if (socket !== session?.socket) return;
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
        if (session.joined) {
          this.stats.malformedFrames++;
          return;
        }
        this.advertisedIceServers = message.iceServers;
        // Our join gave the others their quorum: they announce only now.
        if (message.peers >= message.minSwarm && message.peers - 1 < message.minSwarm) {
          session.settleUntil = Date.now() + QUORUM_SETTLE_MS;
        }
        this.onWelcome(session, message.peerId, message.peers >= message.minSwarm);
        break;
      case 'quorum':
        if (session.joined) this.onQuorum(session, message.reached);
        break;
      case 'found':
        this.onFound(message.id, message.content, message.peers);
        break;
      case 'signal':
        this.emit('signal', { from: message.from, data: message.data });
        break;
      case 'error':
        this.stats.serverErrors++;
        if (message.code === 'protocol-mismatch') {
          this.refuse(socket, `join refused: ${message.message}`);
        } else if (!session.joined) {
          // Before welcome, an error can only answer the join: this attempt has failed.
          this.drop(socket, `join refused: ${message.code}`);
        }
        break;
    }
  }

  private onFound(id: number, content: string, peers: string[]): void {
    const pending = this.finds.get(id);
    if (!pending) return;
    if (pending.content !== content) {
      // An answer to another question: not ours to trust.
      this.stats.malformedFrames++;
      return;
    }
    this.finds.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(peers);
  }

  private onWelcome(session: SocketSession, peerId: string, quorum: boolean): void {
    clearTimeout(this.connectTimer);
    this.attempt = 0;
    session.joined = true;
    session.quorum = quorum;
    session.disclosing = quorum;
    this.currentPeerId = peerId;
    this.setState('open');
    this.sendAnnouncements(this.held);
    this.emit('welcome', peerId);
    if (quorum) this.emit('quorum', true);
    for (const waiter of this.waiters.splice(0)) waiter.resolve(peerId);
  }

  /** A lost quorum withdraws nothing: the server just stops answering finds until it returns. */
  private onQuorum(session: SocketSession, reached: boolean): void {
    if (session.quorum === reached) return;
    session.quorum = reached;
    if (reached) session.settleUntil = Date.now() + QUORUM_SETTLE_MS;
    if (reached && !session.disclosing) {
      session.disclosing = true;
      this.sendAnnouncements(this.held);
    }
    this.emit('quorum', reached);
  }

  /** The server speaks another protocol: stop for good (a retry would be refused the same way). */
  private refuse(socket: WebSocket, reason: string): void {
    if (socket !== this.session?.socket) return;
    this.refused = reason;
    this.wanted = false;
    clearTimeout(this.reconnectTimer);
    this.drop(socket, reason);
  }

  /** The one teardown path of a socket, whatever ended it; later events of that socket are ignored. */
  private drop(socket: WebSocket, reason: string): void {
    const session = this.session;
    if (socket !== session?.socket) return;
    const hadQuorum = this.quorumReached;
    this.session = undefined;
    socket.close();
    this.fail(reason);
    if (hadQuorum) this.emit('quorum', false);
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

/** `ids` in frames of at most SIGNALING_LIMITS.maxIdsPerMessage. */
function batches(ids: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < ids.length; i += SIGNALING_LIMITS.maxIdsPerMessage) {
    out.push(ids.slice(i, i + SIGNALING_LIMITS.maxIdsPerMessage));
  }
  return out;
}
