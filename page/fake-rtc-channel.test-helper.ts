import type { FakeRTCPeerConnection } from './fake-rtc.test-helper.js';
import { domError, fire, type Handler, later } from './fake-rtc-events.test-helper.js';

/** Chromium throws "send queue is full" near here. */
const MAX_BUFFERED_AMOUNT = 16 * 1024 * 1024;

type Message = string | ArrayBuffer;

function sizeOf(message: Message): number {
  return typeof message === 'string'
    ? new TextEncoder().encode(message).length
    : message.byteLength;
}

export class FakeRTCDataChannel extends EventTarget {
  readyState: RTCDataChannelState = 'connecting';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  binaryType: BinaryType = 'arraybuffer';
  onopen: Handler = null;
  onclose: Handler = null;
  onerror: Handler = null;
  onmessage: Handler = null;
  onbufferedamountlow: Handler = null;
  /** The far end's channel, once connected. */
  peer: FakeRTCDataChannel | undefined;
  /** Messages handed to `send`, as sent. */
  readonly sent: Message[] = [];
  private readonly queue: Message[] = [];
  private pumping = false;
  private stalled = false;

  constructor(
    readonly connection: FakeRTCPeerConnection,
    readonly label: string,
    readonly id: number,
  ) {
    super();
  }

  send(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.readyState !== 'open') {
      throw domError('InvalidStateError', "RTCDataChannel.readyState is not 'open'");
    }
    const copy: Message =
      typeof data === 'string'
        ? data
        : data instanceof ArrayBuffer
          ? data.slice(0)
          : new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
    const size = sizeOf(copy);
    if (this.bufferedAmount + size > MAX_BUFFERED_AMOUNT) {
      throw domError('OperationError', 'RTCDataChannel send queue is full');
    }
    this.sent.push(copy);
    this.queue.push(copy);
    this.bufferedAmount += size;
    this.schedule();
  }

  /** Closes after what is queued has been delivered; both ends fire `close`. */
  close(): void {
    if (this.readyState === 'closing' || this.readyState === 'closed') return;
    this.readyState = 'closing';
    this.schedule();
  }

  /** The far end stops reading: what is sent stays in `bufferedAmount` (a congested link). */
  stall(): void {
    this.stalled = true;
  }

  resume(): void {
    this.stalled = false;
    this.schedule();
  }

  /** @internal ICE connected: both ends open. */
  pair(other: FakeRTCDataChannel): void {
    this.peer = other;
    other.peer = this;
    for (const channel of [this, other]) {
      if (channel.readyState !== 'connecting') continue;
      channel.readyState = 'open';
      fire(channel, new Event('open'));
    }
  }

  /** @internal The local connection closed: this end closes silently, the far end with `close`. */
  abort(): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    this.queue.length = 0;
    const peer = this.peer;
    if (peer) later(() => peer.closeNow());
  }

  /** @internal Closed from under this end (transport gone): `close` fires here. */
  closeNow(): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    this.queue.length = 0;
    fire(this, new Event('close'));
  }

  private schedule(): void {
    if (this.pumping) return;
    this.pumping = true;
    later(() => {
      this.pumping = false;
      this.pump();
    });
  }

  /** Moves up to `bytesPerTick` to the far end, then settles `bufferedamountlow` and closing. */
  private pump(): void {
    if (this.readyState === 'closed' || this.stalled) return;
    const before = this.bufferedAmount;
    let budget = this.connection.network.bytesPerTick;
    while (this.queue.length > 0 && budget > 0) {
      const message = this.queue.shift()!;
      const size = sizeOf(message);
      this.bufferedAmount -= size;
      budget -= size;
      this.peer?.deliver(message);
      // A listener on the far end may have closed this end.
      if ((this.readyState as RTCDataChannelState) === 'closed') return;
    }
    if (before > this.bufferedAmountLowThreshold) {
      if (this.bufferedAmount <= this.bufferedAmountLowThreshold) {
        fire(this, new Event('bufferedamountlow'));
      }
    }
    if (this.queue.length > 0) {
      this.schedule();
    } else if (this.readyState === 'closing') {
      const peer = this.peer;
      this.closeNow();
      peer?.closeNow();
    }
  }

  private deliver(message: Message): void {
    if (this.readyState !== 'open' && this.readyState !== 'closing') return;
    const data =
      typeof message === 'string' || this.binaryType === 'arraybuffer'
        ? message
        : new Blob([message]);
    fire(this, new MessageEvent('message', { data }));
  }
}
