import {
  type AgentReplyMessage,
  BRIDGE_PROTOCOL,
  BROADCAST_CHANNEL_NAME,
  type ErrorCode,
  type ManifestAsset,
  PeerConnectError,
  parseAgentReply,
  parseAgentToWorker,
  type WorkerToAgentMessage,
} from '../protocol/index.js';
import { DEADLINES } from './deadlines.js';

export type ChunkResult = { index: number; data: ArrayBuffer } | { error: PeerConnectError };

/** One asset's chunks from the agent, as an asset response reads them. */
export interface PeerSession {
  /** True once the agent said anything on this session, false if not within `timeoutMs`. */
  answered(timeoutMs: number): Promise<boolean>;
  /** The next chunk, or an error once the agent gives up or the deadline passes. */
  next(timeoutMs: number): Promise<ChunkResult>;
}

/**
 * The peer agent as an asset response sees it: `AgentBridge` below, or an in-memory fake in
 * tests. `release` is given only sessions this agent opened.
 */
export interface PeerAgent {
  open(asset: ManifestAsset): Promise<PeerSession>;
  /** Ends a session; the agent hears `pc:cancel` unless it ended it. */
  release(session: PeerSession): void;
  /**
   * The agent behind `session` did not answer in time (its tab is frozen or hung): ends the
   * session, and requests go to the origin without asking it for a short while.
   */
  unresponsive(session: PeerSession): void;
  /**
   * Whether `clientId` is the agent's own tab: a tab that is fetching is not frozen, so its
   * requests need no proof that it answers (it may be busy laying out the very page).
   */
  isAgentTab(clientId: string): boolean;
  /** Tells the agent an asset is stored, so it can offer it to peers. */
  notifyStored(sha256: string): void;
}

/**
 * One asset requested from the agent: the chunks arrive over a dedicated MessagePort and are
 * read one at a time with a deadline each. `cancel` tells the agent to stop.
 */
export class AgentSession implements PeerSession {
  private readonly queue: ChunkResult[] = [];
  private waiter: ((result: ChunkResult) => void) | undefined;
  private ended = false;
  private heard = false;
  private onHeard: (() => void) | undefined;

  constructor(private readonly port: MessagePort) {
    port.onmessage = (event) => {
      this.heard = true;
      this.onHeard?.();
      let message: AgentReplyMessage;
      try {
        message = parseAgentReply(event.data);
      } catch (err) {
        this.push({ error: err as PeerConnectError });
        return;
      }
      if (message.type === 'pc:accepted') return;
      if (message.type === 'pc:chunk') this.push({ index: message.index, data: message.data });
      else this.push({ error: new PeerConnectError(message.code) });
    };
  }

  answered(timeoutMs: number): Promise<boolean> {
    if (this.heard || this.ended) return Promise.resolve(this.heard);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.onHeard = undefined;
        resolve(false);
      }, timeoutMs);
      this.onHeard = () => {
        clearTimeout(timer);
        this.onHeard = undefined;
        resolve(true);
      };
    });
  }

  /** The next chunk, or an error once the agent gives up or the deadline passes. */
  next(timeoutMs: number): Promise<ChunkResult> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.ended) return Promise.resolve({ error: new PeerConnectError('cancelled') });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve({ error: new PeerConnectError('agent-timeout') });
      }, timeoutMs);
      this.waiter = (result) => {
        clearTimeout(timer);
        resolve(result);
      };
    });
  }

  /** Ends the session from either side; the agent hears `pc:cancel` unless it ended it. */
  cancel(): void {
    if (this.ended) return;
    this.ended = true;
    // A reader waiting on next() must not sit out its deadline on a cancelled session.
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.({ error: new PeerConnectError('cancelled') });
    try {
      this.port.postMessage({ type: 'pc:cancel' });
    } catch {
      // The agent's side is gone already.
    }
    this.port.onmessage = null;
    this.port.close();
  }

  fail(code: ErrorCode): void {
    this.push({ error: new PeerConnectError(code) });
  }

  private push(result: ChunkResult): void {
    if (this.ended) return;
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) waiter(result);
    else this.queue.push(result);
  }
}

/**
 * The worker's link to the peer agent in the leader tab. The agent introduces itself with a
 * MessagePort; when the worker restarts (the browser stops idle workers) or the leader tab
 * goes away, the worker asks every tab on a BroadcastChannel and waits briefly for a new one.
 */
export class AgentBridge implements PeerAgent {
  private port: MessagePort | undefined;
  private enabled = true;
  private missingUntil = 0;
  /** The client id of the tab whose agent holds `port`, when the browser said. */
  private agentClientId: string | undefined;
  /** Until then the agent is taken as frozen or hung, and requests go to the origin. */
  private unresponsiveUntil = 0;
  /** Open sessions and the agent port each was opened over. */
  private readonly sessions = new Map<AgentSession, MessagePort>();
  private waiters: Array<() => void> = [];
  /** One wait (and one broadcast) shared by every fetch that finds no agent. */
  private waiting: Promise<void> | undefined;
  private readonly broadcast = new BroadcastChannel(BROADCAST_CHANNEL_NAME);
  private nextId = 1;

  /** Handles a message posted to the worker (`self.onmessage`). Returns true if it was ours. */
  handleMessage(data: unknown, ports: readonly MessagePort[], sourceId?: string): boolean {
    let message: ReturnType<typeof parseAgentToWorker>;
    try {
      message = parseAgentToWorker(data);
    } catch {
      return false;
    }
    if (message.type === 'pc:agent-bye') {
      if (this.port) this.dropAgent(this.port);
      return true;
    }
    // A new link (this leader again, or a new one) replaces the port. Sessions opened over the
    // old one keep their own reply ports: they finish, or their agent says goodbye.
    const compatible = message.protocol === BRIDGE_PROTOCOL;
    const port = compatible ? ports[0] : undefined;
    this.port = undefined;
    this.enabled = message.enabled;
    // An agent of another release is no agent: fetches go to the origin without waiting for one.
    this.missingUntil = compatible ? 0 : Date.now() + DEADLINES.agentMissingBackoffMs;
    this.unresponsiveUntil = 0;
    this.agentClientId = sourceId;
    if (message.enabled && port) {
      this.port = port;
      port.onmessage = (event) => {
        if (parseByeSafely(event.data)) this.dropAgent(port);
      };
      this.post({ type: 'pc:ready', protocol: BRIDGE_PROTOCOL });
    }
    for (const wake of this.waiters.splice(0)) wake();
    return true;
  }

  notifyStored(sha256: string): void {
    this.post({ type: 'pc:stored', sha256 });
  }

  /** Asks the agent for an asset; throws agent-unavailable or p2p-disabled fast. */
  async open(asset: ManifestAsset): Promise<AgentSession> {
    await this.waitForAgent();
    if (!this.enabled) throw new PeerConnectError('p2p-disabled');
    const port = this.port;
    if (!port) throw new PeerConnectError('agent-unavailable');
    if (Date.now() < this.unresponsiveUntil) {
      throw new PeerConnectError('agent-timeout', 'the agent did not answer lately');
    }
    const channel = new MessageChannel();
    const session = new AgentSession(channel.port1);
    this.sessions.set(session, port);
    const { path, size, type, sha256, chunks } = asset;
    const message: WorkerToAgentMessage = {
      type: 'pc:fetch',
      id: this.nextId++,
      asset: { path, size, type, sha256, chunks },
    };
    port.postMessage(message, [channel.port2]);
    return session;
  }

  release(session: AgentSession): void {
    session.cancel();
    this.sessions.delete(session);
  }

  isAgentTab(clientId: string): boolean {
    return this.port !== undefined && clientId !== '' && clientId === this.agentClientId;
  }

  unresponsive(session: AgentSession): void {
    this.release(session);
    // Not dropped: a tab in a long task answers again soon; requests skip it for a short while.
    this.unresponsiveUntil = Date.now() + DEADLINES.agentUnresponsiveBackoffMs;
  }

  private post(message: WorkerToAgentMessage): void {
    const port = this.port;
    try {
      port?.postMessage(message);
    } catch {
      if (port) this.dropAgent(port);
    }
  }

  /** The agent behind `port` is gone: its sessions fall back to the origin now. */
  private dropAgent(port: MessagePort): void {
    port.onmessage = null;
    if (this.port === port) this.port = undefined;
    for (const [session, via] of this.sessions) {
      if (via !== port) continue;
      session.fail('agent-unavailable');
      this.sessions.delete(session);
    }
  }

  private waitForAgent(): Promise<void> {
    if (this.port || !this.enabled || Date.now() < this.missingUntil) return Promise.resolve();
    this.waiting ??= this.broadcastAndWait().finally(() => {
      this.waiting = undefined;
    });
    return this.waiting;
  }

  private async broadcastAndWait(): Promise<void> {
    let wake!: () => void;
    const arrived = new Promise<void>((resolve) => {
      wake = resolve;
    });
    this.waiters.push(wake);
    this.broadcast.postMessage({ type: 'pc:need-agent' });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, DEADLINES.agentWaitMs);
    });
    await Promise.race([arrived, timedOut]);
    clearTimeout(timer);
    this.waiters = this.waiters.filter((waiter) => waiter !== wake);
    if (!this.port && this.enabled)
      this.missingUntil = Date.now() + DEADLINES.agentMissingBackoffMs;
  }
}

function parseByeSafely(data: unknown): boolean {
  try {
    return parseAgentToWorker(data).type === 'pc:agent-bye';
  } catch {
    return false;
  }
}
