import {
  CONTENT_ID,
  PeerConnectError,
  SIGNALING_LIMITS,
  type SignalData,
} from '../protocol/index.js';
import type { SignalRelay } from './peer-pool.js';
import type {
  SignalingClientEvents,
  SignalingClientOptions,
  SignalingState,
} from './signaling-client.js';

/**
 * An in-memory signaling server (one site's swarm, protocol v2): clients join it, announce
 * content ids, and it answers `find` from what each one disclosed (never the asker), only while
 * the swarm has `minSwarm` other peers, and relays signals a macrotask later, in order.
 * `hub.relay()` gives a PeerPool under test its SignalRelay; `FakeSignalingClient` stands in
 * for SignalingClient (`vi.mock` it), joining the hub of its `url` (see `hubAt`).
 *
 * Unlike the real server, membership and quorum changes are immediate: joining or leaving
 * emits `quorum` on the other clients synchronously.
 */
type Receiver = (from: string, data: SignalData) => void;

export class FakeSignalingHub {
  /** While true the server cannot be reached: joins fail with signaling-unavailable. */
  down = false;
  /** What `welcome` tells each joiner to use; undefined leaves iceServers out. */
  iceServers: RTCIceServer[] | undefined;
  /** Every signal relayed, in order. */
  readonly relayed: { from: string; to: string; data: SignalData }[] = [];
  /** The clients joined now. */
  readonly clients = new Set<FakeSignalingClient>();
  private readonly receivers = new Map<string, Receiver>();
  private nextId = 0;
  private required = 1;
  private reached = false;

  /**
   * Other peers the swarm must have before anyone is told who holds what (the server's
   * `--min-swarm`, default 1). Setting it tells the joined clients if their quorum changes.
   */
  get minSwarm(): number {
    return this.required;
  }

  set minSwarm(value: number) {
    if (!Number.isInteger(value) || value < 1 || value > SIGNALING_LIMITS.maxMinSwarm) {
      throw new RangeError(`minSwarm ${value}`);
    }
    this.required = value;
    this.updateQuorum();
  }

  /** Whether the swarm has `minSwarm` peers besides any one of them. */
  get quorate(): boolean {
    return this.clients.size - 1 >= this.required;
  }

  /** A fresh 16-character peer id, in increasing order. */
  newPeerId(): string {
    return `peer${String(this.nextId++).padStart(12, '0')}`;
  }

  listen(id: string, receiver: Receiver): void {
    this.receivers.set(id, receiver);
  }

  leave(id: string): void {
    this.receivers.delete(id);
  }

  signal(from: string, to: string, data: SignalData): boolean {
    if (!this.receivers.has(from) || !this.receivers.has(to)) return false;
    this.relayed.push({ from, to, data });
    setImmediate(() => this.receivers.get(to)?.(from, data));
    return true;
  }

  /** The relay of a PeerPool joined as `id`; signals for it go to `deliver`. */
  relay(id: string, deliver: Receiver): SignalRelay {
    this.listen(id, deliver);
    return {
      peerId: id,
      signal: (to, data) => {
        this.signal(id, to, data);
      },
    };
  }

  /**
   * What the server answers a `find` for `content` from `asker`: up to maxFoundPeers other
   * joined clients that disclosed it, or none while the swarm is below quorum.
   */
  find(content: string, asker: string): string[] {
    if (!this.quorate) return [];
    const peers: string[] = [];
    for (const c of this.clients) {
      if (peers.length === SIGNALING_LIMITS.maxFoundPeers) break;
      if (c.peerId !== undefined && c.peerId !== asker && c.discloses(content))
        peers.push(c.peerId);
    }
    return peers;
  }

  /** Ends `client`'s connection as a server-side drop would (the fake does not reconnect it). */
  kick(client: FakeSignalingClient): void {
    client.dropped();
  }

  /** @internal FakeSignalingClient's join. */
  join(client: FakeSignalingClient, id: string, receiver: Receiver): void {
    this.clients.add(client);
    this.listen(id, receiver);
    this.updateQuorum(client);
  }

  /** @internal FakeSignalingClient's leave. */
  part(client: FakeSignalingClient, id: string): void {
    this.leave(id);
    if (this.clients.delete(client)) this.updateQuorum();
  }

  /** Tells every joined client but `joiner` (whose welcome says it) when the quorum changes. */
  private updateQuorum(joiner?: FakeSignalingClient): void {
    const reached = this.quorate;
    if (reached === this.reached) return;
    this.reached = reached;
    for (const c of [...this.clients]) if (c !== joiner) c.quorumChanged(reached);
  }
}

const hubs = new Map<string, FakeSignalingHub>();

/** The hub a FakeSignalingClient made with this `url` joins. */
export function hubAt(url: string): FakeSignalingHub {
  let hub = hubs.get(url);
  if (!hub) {
    hub = new FakeSignalingHub();
    hubs.set(url, hub);
  }
  return hub;
}

export function resetHubs(): void {
  hubs.clear();
}

/** SignalingClient's surface (v2), over a FakeSignalingHub. */
export class FakeSignalingClient extends EventTarget {
  readonly stats = { malformedFrames: 0, serverErrors: 0, reconnects: 0, droppedIds: 0 };
  /** Content ids this client asked the hub about (not those answered [] before quorum). */
  readonly finds: string[] = [];
  private readonly hub: FakeSignalingHub;
  /** What the agent announced; the hub sees it once `disclosing`. */
  private readonly held = new Set<string>();
  private disclosing = false;
  private quorum = false;
  private currentState: SignalingState = 'closed';
  private currentPeerId: string | undefined;
  private advertisedIceServers: RTCIceServer[] | undefined;

  constructor(options: SignalingClientOptions) {
    super();
    this.hub = hubAt(options.url);
  }

  get state(): SignalingState {
    return this.currentState;
  }

  get peerId(): string | undefined {
    return this.currentPeerId;
  }

  get iceServers(): RTCIceServer[] | undefined {
    return this.advertisedIceServers;
  }

  get quorumReached(): boolean {
    return this.currentState === 'open' && this.quorum;
  }

  /** Content ids this client announced (whether or not disclosed yet). */
  get announced(): ReadonlySet<string> {
    return this.held;
  }

  /** Whether the hub may name this client as a holder of `content`. */
  discloses(content: string): boolean {
    return this.currentState === 'open' && this.disclosing && this.held.has(content);
  }

  on<K extends keyof SignalingClientEvents>(
    type: K,
    listener: (detail: SignalingClientEvents[K]) => void,
  ): () => void {
    const handler = (event: Event) =>
      listener((event as CustomEvent<SignalingClientEvents[K]>).detail);
    this.addEventListener(type, handler);
    return () => this.removeEventListener(type, handler);
  }

  async connect(): Promise<string> {
    if (this.currentState === 'open' && this.currentPeerId) return this.currentPeerId;
    if (this.hub.down) {
      this.setState('closed');
      throw new PeerConnectError('signaling-unavailable', 'server down');
    }
    const id = this.hub.newPeerId();
    this.currentPeerId = id;
    this.hub.join(this, id, (from, data) => this.emit('signal', { from, data }));
    this.advertisedIceServers = this.hub.iceServers;
    this.quorum = this.hub.quorate;
    this.disclosing = this.quorum;
    this.setState('open');
    this.emit('welcome', id);
    if (this.quorum) this.emit('quorum', true);
    return id;
  }

  async find(content: string): Promise<string[]> {
    if (!CONTENT_ID.test(content)) throw new RangeError(`not a content id: ${content}`);
    if (this.currentState !== 'open' || !this.currentPeerId) {
      throw new PeerConnectError('signaling-unavailable', 'not joined');
    }
    if (!this.quorum) return [];
    this.finds.push(content);
    return this.hub.find(content, this.currentPeerId);
  }

  announce(ids: Iterable<string>): void {
    const list = [...ids];
    const bad = list.find((id) => !CONTENT_ID.test(id));
    if (bad !== undefined) throw new RangeError(`not a content id: ${bad}`);
    for (const id of list) {
      if (this.held.has(id)) continue;
      if (this.held.size >= SIGNALING_LIMITS.maxAnnouncedIds) this.stats.droppedIds++;
      else this.held.add(id);
    }
  }

  withdraw(ids: Iterable<string>): void {
    for (const id of ids) this.held.delete(id);
  }

  signal(to: string, data: SignalData): boolean {
    if (this.currentState !== 'open' || !this.currentPeerId) return false;
    return this.hub.signal(this.currentPeerId, to, data);
  }

  close(): void {
    this.dropped();
  }

  /** @internal The hub's quorum changed (a lost quorum withdraws nothing). */
  quorumChanged(reached: boolean): void {
    if (this.currentState !== 'open' || this.quorum === reached) return;
    this.quorum = reached;
    if (reached) this.disclosing = true;
    this.emit('quorum', reached);
  }

  /** @internal Leaves the hub: state closed; what was announced is kept for the next join. */
  dropped(): void {
    const hadQuorum = this.quorumReached;
    if (this.currentPeerId) this.hub.part(this, this.currentPeerId);
    this.currentPeerId = undefined;
    this.quorum = false;
    this.disclosing = false;
    this.setState('closed');
    if (hadQuorum) this.emit('quorum', false);
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
