import { WebSocket } from 'ws';
import {
  encodeSignalMessage,
  parseServerMessage,
  SIGNALING_PROTOCOL,
  type SignalData,
} from '../../protocol/index.js';
import { LOAD_LIMITS } from './constants.js';
import type { LoadErrorCode } from './ipc.js';

/** What a bench peer tells its process: failures (coded, with a detail) and relayed signals. */
export interface PeerEvents {
  failed(code: LoadErrorCode, detail: string): void;
  signal(peer: BenchPeer, from: string, data: SignalData): void;
}

/**
 * One simulated visitor: a ws socket from its own loopback address that joins, waits for
 * quorum as a real client does, announces, finds and relays. Every end of the socket goes
 * through its 'close' event; one the bench did not ask for is an error.
 */
export class BenchPeer {
  peerId: string | undefined;
  private readonly ws: WebSocket;
  private readonly finds = new Map<number, (peers: string[]) => void>();
  private nextFind = 0;
  private closing = false;
  private open = false;
  private readyState: 'pending' | 'ready' | 'failed' = 'pending';
  private onReady: (ready: boolean) => void = () => {};
  /** Resolves true once welcomed with quorum, false if the socket failed first. */
  readonly ready: Promise<boolean>;

  constructor(url: string, origin: string, localAddress: string, events: PeerEvents) {
    this.ready = new Promise((resolve) => {
      this.onReady = resolve;
    });
    const timer = setTimeout(
      () => this.fail(events, 'connect-failed', 'join timeout'),
      LOAD_LIMITS.joinTimeoutMs,
    );
    this.ready.finally(() => clearTimeout(timer));
    this.ws = new WebSocket(url, {
      localAddress,
      headers: { Origin: origin },
      perMessageDeflate: false,
      handshakeTimeout: LOAD_LIMITS.joinTimeoutMs,
    });
    this.ws.on('open', () => {
      this.open = true;
      this.send({ t: 'join', protocol: SIGNALING_PROTOCOL });
    });
    this.ws.on('message', (data, isBinary) => {
      if (isBinary) return events.failed('bad-frame', 'binary frame');
      this.onText(data.toString(), events);
    });
    this.ws.on('error', (err: Error & { code?: string }) => {
      if (!this.open) this.fail(events, 'connect-failed', err.code ?? err.message);
    });
    this.ws.on('close', (code, reason) => {
      if (this.readyState === 'pending') this.fail(events, 'connect-failed', `close ${code}`);
      else if (!this.closing && this.readyState === 'ready') {
        events.failed('closed-unexpectedly', `close ${code} ${reason.toString()}`.trim());
      }
      this.readyState = 'failed';
      for (const answer of this.finds.values()) answer([]);
      this.finds.clear();
    });
  }

  get isOpen(): boolean {
    return this.readyState === 'ready' && this.ws.readyState === WebSocket.OPEN;
  }

  announce(ids: string[]): void {
    this.send({ t: 'announce', ids });
  }

  find(content: string): Promise<string[]> {
    const id = this.nextFind++;
    return new Promise((resolve) => {
      this.finds.set(id, resolve);
      this.send({ t: 'find', id, content });
    });
  }

  signal(to: string, data: SignalData): void {
    this.send({ t: 'signal', to, data });
  }

  /** Resolves once the socket is closed (cut after `graceMs`). */
  close(graceMs: number): Promise<void> {
    this.closing = true;
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const cut = setTimeout(() => this.ws.terminate(), graceMs);
      this.ws.once('close', () => {
        clearTimeout(cut);
        resolve();
      });
      this.ws.close(1000);
    });
  }

  private send(message: Parameters<typeof encodeSignalMessage>[0]): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeSignalMessage(message));
  }

  private fail(events: PeerEvents, code: LoadErrorCode, detail: string): void {
    if (this.readyState !== 'pending') return;
    this.readyState = 'failed';
    events.failed(code, detail);
    this.ws.terminate();
    this.onReady(false);
  }

  private becomeReady(): void {
    if (this.readyState !== 'pending') return;
    this.readyState = 'ready';
    this.onReady(true);
  }

  private onText(text: string, events: PeerEvents): void {
    let message: ReturnType<typeof parseServerMessage>;
    try {
      message = parseServerMessage(text);
    } catch {
      events.failed('bad-frame', 'unparseable server message');
      return;
    }
    switch (message.t) {
      case 'welcome':
        this.peerId = message.peerId;
        if (message.peers >= message.minSwarm) this.becomeReady();
        return;
      case 'quorum':
        if (message.reached) this.becomeReady();
        return;
      case 'found':
        this.finds.get(message.id)?.(message.peers);
        this.finds.delete(message.id);
        return;
      case 'signal':
        events.signal(this, message.from, message.data);
        return;
      case 'error':
        events.failed('server-error', message.code);
        return;
    }
  }
}
