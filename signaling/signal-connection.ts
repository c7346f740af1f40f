import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import {
  type ClientMessage,
  encodeSignalMessage,
  type IceServer,
  PeerConnectError,
  parseClientMessage,
  type ServerMessage,
  SIGNALING_LIMITS,
  SIGNALING_PROTOCOL,
} from '../protocol/index.js';
import type { AddressAccount } from './address-limits.js';
import { TokenBucket } from './rate-limiter.js';
import type { Rejection } from './rejection.js';
import { notAsked, RelayGate } from './relay-gate.js';
import {
  CLOSE_CODES,
  SIGNAL_SERVER_LIMITS as LIMITS,
  type RefusalReason,
} from './signal-limits.js';
import type { SignalMetrics } from './signal-metrics.js';
import type { Joined, Relayed, Swarm, SwarmMember } from './swarm.js';
import type { SwarmDirectory } from './swarm-directory.js';

/** Error ws raises (before closing with 1009) for a frame over `maxPayload`. */
const WS_TOO_LARGE = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
/** Random bytes per peer id: 12 bytes are exactly 16 base64url characters. */
const PEER_ID_BYTES = (SIGNALING_LIMITS.peerIdLength * 3) / 4;

interface Membership {
  readonly swarm: Swarm;
  readonly joined: Joined;
}

type Message<T extends ClientMessage['t']> = Extract<ClientMessage, { t: T }>;

/** What a connection needs from its server, fixed when its upgrade is accepted. */
export interface ConnectionContext {
  readonly directory: SwarmDirectory;
  readonly metrics: SignalMetrics;
  /** The swarm this socket joins (swarm-key.ts): decided by its upgrade, never by the client. */
  readonly swarmKey: string;
  /** The ICE servers for this client's `welcome`; undefined leaves the field out. */
  readonly iceServers?: () => IceServer[];
  /** The client's address (AddressLimits), whose announcements this socket's count towards. */
  readonly address: AddressAccount;
}

/**
 * One client's WebSocket: rate limiting, parsing, the join state and the swarm operations.
 * Every way a connection ends (client close, policy close, heartbeat, shutdown) goes through
 * ws's 'close' event, the single teardown path, which also drops every id the client announced.
 *
 * Cost per message, so no client can make one message expensive: announce and withdraw are
 * O(ids in the message) <= maxIdsPerMessage, find is O(max) <= maxFoundPeers whatever the
 * number of holders, signal is O(1). Teardown is O(ids announced), paid for by the announces.
 * State per connection is bounded too: its announced ids (and its address's), and the relay
 * gate's tables (relay-gate.ts).
 *
 * No other member can get this one closed: relays to it are dropped (the sender told) once it
 * has relayBufferMark unsent or has had its fan-in, so only its own answers, which it asked
 * for, can take it to maxSendBufferBytes.
 */
export class SignalConnection {
  private membership: Membership | undefined;
  private readonly messages = new TokenBucket(LIMITS.messagesPerSecond, LIMITS.messageBurst);
  private readonly finds = new TokenBucket(LIMITS.findsPerSecond, LIMITS.findBurst);
  private readonly drops = new TokenBucket(LIMITS.droppedPerSecond, LIMITS.droppedBurst);
  private readonly fanIn = new TokenBucket(LIMITS.relayFanInPerSecond, LIMITS.relayFanInBurst);
  private readonly gate = new RelayGate();
  /** When the frame being handled arrived (performance.now()), for the relay latency. */
  private receivedAt = 0;
  private badInARow = 0;
  private alive = true;
  private readonly closed: Promise<void>;

  constructor(
    private readonly ws: WebSocket,
    private readonly context: ConnectionContext,
    onClose: () => void,
  ) {
    ws.on('message', (data, isBinary) => this.onFrame(isBinary ? undefined : data.toString()));
    ws.on('pong', () => {
      this.alive = true;
    });
    // ws closes the socket itself after any error; we only count the one clients can cause.
    ws.on('error', (err: Error & { code?: string }) => {
      if (err.code !== WS_TOO_LARGE) return;
      this.context.metrics.errors.inc({ code: 'too-large' });
      this.context.metrics.refuse('too-large');
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
      this.context.metrics.refuse('no-pong');
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

  /** Sends this client a message of its own (an answer, a notice): never a relay. */
  private send(message: ServerMessage): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > LIMITS.maxSendBufferBytes) {
      this.close('not-reading', CLOSE_CODES.notReading, 'not reading what it asked for');
      return;
    }
    this.ws.send(encodeSignalMessage(message));
  }

  /** A `signal` from `from` to this client, refused when it is not reading or flooded. */
  private deliver({ from, type, frame }: Relayed): Rejection | undefined {
    const to = this.membership?.joined.member.peerId ?? '';
    if (this.ws.readyState !== WebSocket.OPEN) return notAsked(to);
    if (this.ws.bufferedAmount > LIMITS.relayBufferMark) {
      return {
        code: 'rate-limited',
        details: `peer ${to} is not reading`,
        reason: 'relay-receiver-busy',
        excused: true,
      };
    }
    if (!this.fanIn.take()) {
      return {
        code: 'rate-limited',
        details: `peer ${to} receives too many messages`,
        reason: 'relay-fan-in',
        excused: true,
      };
    }
    if (type === 'offer') this.gate.offeredBy(from);
    else if (type === 'answer') this.gate.answeredBy(from);
    this.ws.send(frame);
    return undefined;
  }

  /** Answers a refused message, and closes a client whose refusals show it is broken or hostile. */
  private refuse(rejection: Rejection): void {
    const { code, details, reason } = rejection;
    this.context.metrics.errors.inc({ code });
    if (reason) this.context.metrics.refuse(reason);
    this.send({ t: 'error', code, message: details });
    if (code === 'protocol-mismatch') {
      this.close(
        'protocol-mismatch',
        CLOSE_CODES.protocolMismatch,
        `speak signaling protocol ${SIGNALING_PROTOCOL}`,
      );
    } else if (code === 'rate-limited' && !rejection.excused && !this.drops.take()) {
      this.close('rate-limited', CLOSE_CODES.rateLimited, 'rate limit exceeded');
    } else if (code === 'bad-message' && ++this.badInARow >= LIMITS.maxBadMessagesInARow) {
      this.close('malformed', CLOSE_CODES.malformed, 'too many malformed messages');
    }
  }

  /** Closes for this client's own misbehaviour, once. */
  private close(reason: RefusalReason, code: number, text: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.context.metrics.refuse(reason);
    void this.shutdown(code, text);
  }

  /** `text` is undefined for a binary frame. */
  private onFrame(text: string | undefined): void {
    // Once we have decided to close, the rest of what the client sent is moot.
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.receivedAt = performance.now();
    // Throttle before parsing, so a flood of garbage costs as little as a flood of valid frames.
    if (!this.messages.take()) {
      this.refuse({ code: 'rate-limited', details: 'too many messages' });
      return;
    }
    const rejection = this.handleText(text);
    if (rejection) this.refuse(rejection);
    else this.badInARow = 0;
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
    this.context.metrics.messages.inc({ type: message.t });
    if (message.t === 'join') return this.join(message);
    if (!this.membership) return { code: 'not-joined', details: `join before ${message.t}` };
    switch (message.t) {
      case 'announce':
        return this.announce(this.membership, message);
      case 'withdraw':
        this.withdraw(this.membership, message);
        return undefined;
      case 'find':
        return this.find(this.membership, message);
      case 'signal':
        return this.relay(this.membership, message);
    }
  }

  private join({ protocol }: Message<'join'>): Rejection | undefined {
    if (this.membership) return { code: 'already-joined', details: 'one join per connection' };
    if (protocol !== SIGNALING_PROTOCOL) {
      return {
        code: 'protocol-mismatch',
        details: `this server speaks protocol ${SIGNALING_PROTOCOL}, not ${protocol}`,
      };
    }
    const { directory, swarmKey } = this.context;
    const existing = directory.get(swarmKey);
    let peerId = randomPeerId();
    while (existing?.has(peerId)) peerId = randomPeerId();
    const member: SwarmMember = {
      peerId,
      send: (m) => this.send(m),
      relay: (relayed) => this.deliver(relayed),
    };
    this.membership = directory.join(swarmKey, member);
    const iceServers = this.context.iceServers?.();
    this.send({
      t: 'welcome',
      peerId,
      peers: this.membership.swarm.size - 1,
      minSwarm: directory.minSwarm,
      ...(iceServers && { iceServers }),
    });
    return undefined;
  }

  private announce(
    { swarm, joined }: Membership,
    { ids }: Message<'announce'>,
  ): Rejection | undefined {
    const { address } = this.context;
    const held = joined.positions.size;
    const ownRoom = SIGNALING_LIMITS.maxAnnouncedIds - held;
    const addressRoom = LIMITS.maxAnnouncedIdsPerAddress - address.announced;
    const cap = held + Math.min(ownRoom, addressRoom);
    const ignored = this.context.directory.announce(swarm, joined, ids, cap);
    address.announced += joined.positions.size - held;
    if (ignored === 0) return undefined;
    if (addressRoom < ownRoom) {
      return {
        code: 'too-many-ids',
        details: `${ignored} ids ignored: at most ${LIMITS.maxAnnouncedIdsPerAddress} per address`,
        reason: 'address-announced',
      };
    }
    const most = SIGNALING_LIMITS.maxAnnouncedIds;
    return { code: 'too-many-ids', details: `${ignored} ids ignored: at most ${most} per peer` };
  }

  private withdraw({ swarm, joined }: Membership, { ids }: Message<'withdraw'>): void {
    const held = joined.positions.size;
    this.context.directory.withdraw(swarm, joined, ids);
    this.context.address.announced -= held - joined.positions.size;
  }

  private find({ swarm, joined }: Membership, message: Message<'find'>): Rejection | undefined {
    const { id, content, max } = message;
    // A refused find is still answered, so the asker goes to the origin now rather than waiting.
    if (!this.finds.take()) {
      this.send({ t: 'found', id, content, peers: [] });
      return { code: 'rate-limited', details: `too many finds (find ${id})` };
    }
    const peers = swarm.findHolders(joined, content, max ?? SIGNALING_LIMITS.maxFoundPeers);
    this.gate.disclosed(peers);
    this.send({ t: 'found', id, content, peers });
    return undefined;
  }

  private relay(
    { swarm, joined }: Membership,
    { to, data }: Message<'signal'>,
  ): Rejection | undefined {
    const from = joined.member.peerId;
    const permitted = this.gate.check(to, data);
    if (typeof permitted !== 'function') return permitted;
    const target = to === from ? undefined : swarm.member(to);
    if (!target) return notAsked(to);
    // The server's envelope says "from" where the client wrote "to": a client frame at the cap
    // would reach the receiver over it, which its parser drops. Refused here, the sender knows.
    const frame = encodeSignalMessage({ t: 'signal', from, data });
    const bytes = Buffer.byteLength(frame);
    if (bytes > SIGNALING_LIMITS.maxMessageBytes) {
      return {
        code: 'too-large',
        details: `signal would be relayed in ${bytes} bytes, over ${SIGNALING_LIMITS.maxMessageBytes}`,
        reason: 'relay-too-large',
      };
    }
    const refused = target.relay({ from, type: data.type, frame });
    if (refused) return refused;
    permitted();
    this.context.metrics.relaySeconds.observe((performance.now() - this.receivedAt) / 1000);
    return undefined;
  }

  private teardown(): void {
    if (!this.membership) return;
    this.context.address.announced -= this.membership.joined.positions.size;
    this.context.directory.leave(this.membership.swarm, this.membership.joined);
    this.membership = undefined;
  }
}

function randomPeerId(): string {
  return randomBytes(PEER_ID_BYTES).toString('base64url');
}
