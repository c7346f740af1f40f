import { type Bitfield, PeerConnectError, type SignalData } from '../protocol/index.js';
import type { SignalRelay } from './peer-pool.js';
import type {
  SignalingClientEvents,
  SignalingClientOptions,
  SignalingState,
} from './signaling-client.js';

/**
 * An in-memory signaling server: peers join it, it answers `find` from what each one holds and
 * relays signals a macrotask later, in order. `hub.relay()` gives a PeerPool under test its
 * SignalRelay; `FakeSignalingClient` stands in for SignalingClient (`vi.mock` it), joining the
 * hub of its `url` (see `hubAt`).
 */
type Receiver = (from: string, data: SignalData) => void;

export class FakeSignalingHub {
  /** While true the server cannot be reached: joins fail with signaling-unavailable. */
  down = false;
  /** Every signal relayed, in order. */
  readonly relayed: { from: string; to: string; data: SignalData }[] = [];
  readonly clients = new Set<FakeSignalingClient>();
  private readonly receivers = new Map<string, Receiver>();
  private nextId = 0;

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

  find(swarm: string, asset: number, asker: string): string[] {
    return [...this.clients]
      .filter((c) => c.swarm === swarm && c.peerId !== asker && c.holds(asset))
      .map((c) => c.peerId!);
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

/** SignalingClient's surface, over a FakeSignalingHub. */
export class FakeSignalingClient extends EventTarget {
  readonly swarm: string;
  readonly finds: number[] = [];
  private readonly hub: FakeSignalingHub;
  private have: Bitfield;
  private currentState: SignalingState = 'closed';
  private currentPeerId: string | undefined;

  constructor(options: SignalingClientOptions) {
    super();
    this.hub = hubAt(options.url);
    this.swarm = options.swarm;
    this.have = options.have;
  }

  get state(): SignalingState {
    return this.currentState;
  }

  get peerId(): string | undefined {
    return this.currentPeerId;
  }

  holds(asset: number): boolean {
    return this.currentState === 'open' && this.have.has(asset);
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
    this.hub.clients.add(this);
    this.hub.listen(id, (from, data) => this.emit('signal', { from, data }));
    this.setState('open');
    this.emit('welcome', id);
    return id;
  }

  async find(asset: number): Promise<string[]> {
    if (this.currentState !== 'open') {
      throw new PeerConnectError('signaling-unavailable', 'not joined');
    }
    this.finds.push(asset);
    return this.hub.find(this.swarm, asset, this.currentPeerId!);
  }

  setHave(have: Bitfield): void {
    this.have = have;
  }

  signal(to: string, data: SignalData): boolean {
    if (this.currentState !== 'open') return false;
    return this.hub.signal(this.currentPeerId!, to, data);
  }

  close(): void {
    if (this.currentPeerId) this.hub.leave(this.currentPeerId);
    this.hub.clients.delete(this);
    this.currentPeerId = undefined;
    this.setState('closed');
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
