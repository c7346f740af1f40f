import {
  decodeWireMessage,
  encodeWireMessage,
  PeerConnectError,
  WIRE_VERSION,
  type WireMessage,
} from '../protocol/index.js';
import { AGENT_LIMITS } from './config.js';
import type { PeerConnection } from './peer-connection.js';

/** Receives the chunks of one request, in order, then exactly one `onEnd`. */
export interface ChunkSink {
  onChunk(index: number, data: ArrayBuffer): void;
  onEnd(error?: PeerConnectError): void;
}

export interface UploadRequest {
  id: number;
  /** The asset's full sha-256, in hex. */
  sha256: string;
  first: number;
  count: number;
}

/** Serves a peer's request; it sends with `peer.sendChunk` and stops when `signal` aborts. */
export type UploadHandler = (peer: Peer, request: UploadRequest, signal: AbortSignal) => void;

interface OutgoingRequest {
  sink: ChunkSink;
  next: number;
  last: number;
}

/**
 * The wire protocol over one open PeerConnection: both sides download and upload over it.
 * Any protocol violation destroys the connection; `destroy` ends every request once.
 */
export class Peer {
  readonly id: string;
  lastActivity = Date.now();
  private readonly conn: PeerConnection;
  private readonly onUpload: UploadHandler;
  private readonly outgoing = new Map<number, OutgoingRequest>();
  private readonly uploads = new Map<number, AbortController>();
  private pendingBody: { id: number; index: number; length: number } | undefined;
  private stallTimer: ReturnType<typeof setTimeout> | undefined;
  private nextRequestId = 1;
  private helloReceived = false;

  constructor(options: {
    connection: PeerConnection;
    onUpload: UploadHandler;
  }) {
    this.conn = options.connection;
    this.id = this.conn.remoteId;
    this.onUpload = options.onUpload;
    this.conn.onMessage((data) => this.receive(data));
    this.conn.onClose((err) => this.teardown(err));
    this.write({ type: 'hello', version: WIRE_VERSION });
  }

  get closed(): boolean {
    return this.conn.closed;
  }

  get requestsInFlight(): number {
    return this.outgoing.size;
  }

  get uploadsInFlight(): number {
    return this.uploads.size;
  }

  /** Asks for chunks [first, first + count) of the asset `sha256`; returns an id for `cancel`. */
  request(sha256: string, first: number, count: number, sink: ChunkSink): number {
    const id = this.nextRequestId++;
    if (this.closed) {
      queueMicrotask(() => sink.onEnd(new PeerConnectError('peer-closed', 'asked a closed peer')));
      return id;
    }
    const entry: OutgoingRequest = { sink, next: first, last: first + count - 1 };
    this.outgoing.set(id, entry);
    this.lastActivity = Date.now();
    if (this.outgoing.size === 1) this.armStallTimer();
    this.write({ type: 'request', id, sha256, first, count });
    return id;
  }

  cancel(id: number): void {
    const entry = this.outgoing.get(id);
    if (!entry) return;
    this.outgoing.delete(id);
    if (this.outgoing.size === 0) clearTimeout(this.stallTimer);
    if (!this.closed) this.write({ type: 'cancel', id });
  }

  /** Sends one chunk (header then body), waiting while the channel's send queue is full. */
  async sendChunk(id: number, index: number, data: ArrayBuffer): Promise<void> {
    if (this.conn.needsDrain) await this.conn.drained();
    this.write({ type: 'chunk', id, index, length: data.byteLength });
    this.conn.send(data);
    this.lastActivity = Date.now();
  }

  /** Ends an upload without sending anything more (done, cancelled or failed). */
  endUpload(id: number, reply?: 'busy' | WireMessage): void {
    this.uploads.delete(id);
    if (!reply || this.closed) return;
    this.write(reply === 'busy' ? { type: 'busy', id } : reply);
  }

  destroy(error: PeerConnectError): void {
    this.conn.destroy(error);
  }

  private write(message: WireMessage): void {
    try {
      this.conn.send(encodeWireMessage(message));
    } catch (err) {
      this.destroy(err instanceof PeerConnectError ? err : new PeerConnectError('peer-closed'));
    }
  }

  private receive(data: ArrayBuffer): void {
    this.lastActivity = Date.now();
    try {
      if (this.pendingBody) this.receiveBody(data);
      else this.receiveMessage(decodeWireMessage(data));
    } catch (err) {
      this.destroy(
        err instanceof PeerConnectError
          ? err
          : new PeerConnectError('bad-wire-message', String(err)),
      );
    }
  }

  private receiveMessage(message: WireMessage): void {
    if (!this.helloReceived && message.type !== 'hello') {
      throw new PeerConnectError('bad-wire-message', `${message.type} before hello`);
    }
    switch (message.type) {
      case 'hello':
        if (message.version !== WIRE_VERSION) {
          throw new PeerConnectError('bad-wire-message', `wire version ${message.version}`);
        }
        this.helloReceived = true;
        return;
      case 'request': {
        if (this.uploads.has(message.id))
          throw new PeerConnectError('bad-wire-message', 'request id reused');
        const controller = new AbortController();
        this.uploads.set(message.id, controller);
        this.onUpload(this, message, controller.signal);
        return;
      }
      case 'cancel':
        // The uploader ends the upload (endUpload) once it stops; reusing the id before then
        // is a protocol error.
        this.uploads.get(message.id)?.abort();
        return;
      case 'chunk': {
        const entry = this.outgoing.get(message.id);
        // A chunk for a request we just cancelled is legal; its body is read and dropped.
        if (entry && message.index !== entry.next) {
          throw new PeerConnectError(
            'bad-wire-message',
            `chunk ${message.index}, expected ${entry.next}`,
          );
        }
        this.pendingBody = message;
        return;
      }
      case 'busy':
        this.endOutgoing(message.id, new PeerConnectError('peer-busy'));
        return;
      case 'error':
        this.endOutgoing(message.id, new PeerConnectError('peer-error', message.code));
        return;
    }
  }

  private receiveBody(data: ArrayBuffer): void {
    const header = this.pendingBody!;
    this.pendingBody = undefined;
    if (data.byteLength !== header.length) {
      throw new PeerConnectError(
        'bad-wire-message',
        `body of ${data.byteLength}, header said ${header.length}`,
      );
    }
    const entry = this.outgoing.get(header.id);
    if (!entry) return;
    const done = entry.next === entry.last;
    entry.next++;
    if (done) this.outgoing.delete(header.id);
    this.armStallTimer();
    entry.sink.onChunk(header.index, data);
    if (done) entry.sink.onEnd();
  }

  /**
   * A peer stalls when it sends us nothing at all for peerStallMs while we wait on it. A
   * request still queued behind our others at a busy uploader is not stalled: the peer is
   * sending, so the timer restarts with every chunk of any request.
   */
  private armStallTimer(): void {
    clearTimeout(this.stallTimer);
    if (this.outgoing.size === 0) return;
    this.stallTimer = setTimeout(() => this.stall(), AGENT_LIMITS.peerStallMs);
  }

  private stall(): void {
    for (const id of [...this.outgoing.keys()]) {
      const entry = this.outgoing.get(id);
      if (!entry) continue;
      this.cancel(id);
      entry.sink.onEnd(new PeerConnectError('peer-timeout', 'stalled'));
    }
  }

  private endOutgoing(id: number, error: PeerConnectError): void {
    const entry = this.outgoing.get(id);
    if (!entry) return;
    this.outgoing.delete(id);
    this.armStallTimer();
    entry.sink.onEnd(error);
  }

  private teardown(error: PeerConnectError): void {
    for (const controller of this.uploads.values()) controller.abort();
    this.uploads.clear();
    clearTimeout(this.stallTimer);
    for (const [id, entry] of this.outgoing) {
      this.outgoing.delete(id);
      entry.sink.onEnd(error);
    }
  }
}
