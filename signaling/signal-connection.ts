import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import {
  Bitfield,
  type ClientMessage,
  encodeSignalMessage,
  type IceServer,
  PeerConnectError,
  parseClientMessage,
  type ServerMessage,
  SIGNALING_LIMITS,
  type SignalingErrorCode,
} from '../protocol/index.js';
import { TokenBucket } from './rate-limiter.js';
import { CLOSE_CODES, SIGNAL_SERVER_LIMITS as LIMITS } from './signal-limits.js';
import type { SignalMetrics } from './signal-metrics.js';
import type { Swarm, SwarmMember } from './swarm.js';
import type { SwarmDirectory } from './swarm-directory.js';

/** Error ws raises (before closing with 1009) for a frame over `maxPayload`. */
const WS_TOO_LARGE = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
/** Random bytes per peer id: 12 bytes are exactly 16 base64url characters. */
const PEER_ID_BYTES = (SIGNALING_LIMITS.peerIdLength * 3) / 4;

interface Rejection {
  readonly code: SignalingErrorCode;
  readonly details: string;
}

interface Joined {
  readonly swarm: Swarm;
  readonly member: SwarmMember;
}

/**
 * One client's WebSocket: rate limiting, parsing, the join state and the swarm operations.
 * Every way a connection ends (client close, policy close, heartbeat, shutdown) goes through
 * ws's 'close' event, the single teardown path.
 */
export class SignalConnection {
  private joined: Joined | undefined;
  private readonly messages = new TokenBucket(LIMITS.messagesPerSecond, LIMITS.messageBurst);
  private readonly drops = new TokenBucket(LIMITS.droppedPerSecond, LIMITS.droppedBurst);
  private badInARow = 0;
  private alive = true;
  private readonly closed: Promise<void>;

  constructor(
    private readonly ws: WebSocket,
    private readonly directory: SwarmDirectory,
    private readonly metrics: SignalMetrics,
    onClose: () => void,
    /** The ICE servers for this client's `welcome`; undefined leaves the field out. */
    private readonly iceServers?: () => IceServer[],
  ) {
    ws.on('message', (data, isBinary) => this.onFrame(isBinary ? undefined : data.toString()));
    ws.on('pong', () => {
      this.alive = true;
    });
    // ws closes the socket itself after any error; we only count the one clients can cause.
    ws.on('error', (err: Error & { code?: string }) => {
      if (err.code === WS_TOO_LARGE) this.metrics.errors.inc({ code: 'too-large' });
    });
    this.closed = new Promise((resolve) => {
      ws.once('close', () => {
        this.teardown();
        onClose();
        resolve();
      });
    });
  }

  /** Called every heartbeat interval: drops a client that has not answered the previous ping. */
  heartbeat(): void {
    if (!this.alive) {
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  /** Closes with `code`, cutting the socket if the close handshake does not finish in time. */
  shutdown(code: number, reason: string): Promise<void> {
    this.ws.close(code, reason);
    const cut = setTimeout(() => this.ws.terminate(), LIMITS.closeGraceMs);
    return this.closed.finally(() => clearTimeout(cut));
  }

  private send(message: ServerMessage): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > LIMITS.maxSendBufferBytes) {
      this.ws.terminate();
      return;
    }
    this.ws.send(encodeSignalMessage(message));
  }

  private sendError({ code, details }: Rejection): void {
    this.metrics.errors.inc({ code });
    this.send({ t: 'error', code, message: details });
  }

  /** `text` is undefined for a binary frame. */
  private onFrame(text: string | undefined): void {
    // Once we have decided to close, the rest of what the client sent is moot.
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // Throttle before parsing, so a flood of garbage costs as little as a flood of valid frames.
    if (!this.messages.take()) {
      this.sendError({ code: 'rate-limited', details: 'too many messages' });
      if (!this.drops.take()) this.ws.close(CLOSE_CODES.policyViolation, 'rate limit exceeded');
      return;
    }
    const rejection = this.handleText(text);
    if (!rejection) {
      this.badInARow = 0;
      return;
    }
    this.sendError(rejection);
    if (rejection.code === 'bad-message' && ++this.badInARow >= LIMITS.maxBadMessagesInARow) {
      this.ws.close(CLOSE_CODES.policyViolation, 'too many malformed messages');
    }
  }

  private handleText(text: string | undefined): Rejection | undefined {
    if (text === undefined)
      return { code: 'bad-message', details: 'binary frames are not accepted' };
    let message: ClientMessage;
    try {
      message = parseClientMessage(text);
    } catch (err) {
      const details = err instanceof PeerConnectError ? (err.details ?? err.message) : 'malformed';
      return { code: 'bad-message', details };
    }
    this.metrics.messages.inc({ type: message.t });
    if (message.t === 'join') return this.join(message);
    if (!this.joined) return { code: 'not-joined', details: `join before ${message.t}` };
    switch (message.t) {
      case 'have':
        return this.have(this.joined, message.have);
      case 'find':
        return this.find(this.joined, message);
      case 'signal':
        return this.relay(this.joined, message);
    }
  }

  private join(message: Extract<ClientMessage, { t: 'join' }>): Rejection | undefined {
    if (this.joined) return { code: 'already-joined', details: 'one join per connection' };
    const existing = this.directory.get(message.swarm);
    if (existing && existing.assets !== message.assets) {
      return { code: 'bad-message', details: `this swarm has ${existing.assets} assets` };
    }
    const have = decodeHave(message.assets, message.have);
    if (!have) return { code: 'bad-message', details: `have is not a ${message.assets}-bit field` };
    let peerId = randomPeerId();
    while (existing?.has(peerId)) peerId = randomPeerId();
    const member: SwarmMember = { peerId, send: (m) => this.send(m) };
    const swarm = this.directory.join(message.swarm, member, have);
    this.joined = { swarm, member };
    const iceServers = this.iceServers?.();
    this.send({ t: 'welcome', peerId, peers: swarm.size - 1, ...(iceServers && { iceServers }) });
    return undefined;
  }

  private have({ swarm, member }: Joined, text: string): Rejection | undefined {
    const have = decodeHave(swarm.assets, text);
    if (!have) return { code: 'bad-message', details: `have is not a ${swarm.assets}-bit field` };
    swarm.setHave(member.peerId, have);
    return undefined;
  }

  private find(
    { swarm, member }: Joined,
    { id, asset, max }: Extract<ClientMessage, { t: 'find' }>,
  ): undefined {
    const limit = max ?? SIGNALING_LIMITS.maxFoundPeers;
    const peers = swarm.findHolders(asset, limit, member.peerId);
    this.send({ t: 'found', id, asset, peers });
    return undefined;
  }

  private relay(
    { swarm, member }: Joined,
    { to, data }: Extract<ClientMessage, { t: 'signal' }>,
  ): Rejection | undefined {
    const target = to === member.peerId ? undefined : swarm.member(to);
    if (!target) return { code: 'unknown-peer', details: `no peer ${to} in this swarm` };
    target.send({ t: 'signal', from: member.peerId, data });
    return undefined;
  }

  private teardown(): void {
    if (!this.joined) return;
    this.directory.leave(this.joined.swarm, this.joined.member.peerId);
    this.joined = undefined;
  }
}

function decodeHave(assets: number, text: string): Bitfield | undefined {
  try {
    return Bitfield.fromBase64(assets, text);
  } catch {
    return undefined;
  }
}

function randomPeerId(): string {
  return randomBytes(PEER_ID_BYTES).toString('base64url');
}
