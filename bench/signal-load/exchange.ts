import { performance } from 'node:perf_hooks';
import type { SignalData } from '../../protocol/index.js';
import type { BenchPeer } from './bench-peer.js';
import { PEER_BEHAVIOUR } from './constants.js';

/**
 * A negotiation between two peers of one process, as WebRTC does it: offer, answer, then a
 * candidate each way, each sent when the previous one arrives. Every message carries its send
 * time (performance.now() of this process, so sender and receiver share a clock).
 */

const STAMP = /bench-ts=(\d+(?:\.\d+)?)/;
/** A candidate line's fixed part; the stamp follows it. */
const CANDIDATE = 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host';

function stamp(): string {
  return `bench-ts=${performance.now().toFixed(3)}`;
}

function sdp(): string {
  const head = `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\na=${stamp()}\r\n`;
  return head.padEnd(PEER_BEHAVIOUR.sdpBytes, 'a');
}

export function offerData(): SignalData {
  return { type: 'offer', sdp: sdp() };
}

function answerData(): SignalData {
  return { type: 'answer', sdp: sdp() };
}

function candidateData(): SignalData {
  return { type: 'candidate', candidate: { candidate: `${CANDIDATE} ${stamp()}`, sdpMid: '0' } };
}

/** Milliseconds since `data` was stamped, or undefined if it carries no stamp. */
export function ageOf(data: SignalData): number | undefined {
  const text = data.type === 'candidate' ? data.candidate?.candidate : data.sdp;
  const match = text === undefined ? null : STAMP.exec(text);
  return match ? performance.now() - Number(match[1]) : undefined;
}

/**
 * The offerer starts; the answerer answers. Each exchange begins with a find for the answerer's
 * own content id, as a real client's does: the server relays an offer only to a peer that a find
 * named (one offer per disclosure). The find is not counted as a relayed message.
 */
export class Pair {
  /** Whether an exchange is under way (the next one waits for it). */
  busy = false;

  constructor(
    readonly offerer: BenchPeer,
    readonly answerer: BenchPeer,
    /** The answerer's own content id. */
    private readonly answererId: string,
  ) {}

  /** Finds the answerer, then sends the offer; returns false if either socket is gone. */
  start(): boolean {
    const to = this.answerer.peerId;
    if (!to || !this.offerer.isOpen || !this.answerer.isOpen) return false;
    this.busy = true;
    void this.offerer.find(this.answererId).then((peers) => {
      if (peers.includes(to) && this.offerer.isOpen) this.offerer.signal(to, offerData());
      else this.busy = false;
    });
    return true;
  }

  /**
   * What `receiver` sends back for `data` (undefined: the exchange is complete). Returns the
   * reply so the caller can count it.
   */
  reply(receiver: BenchPeer, data: SignalData): SignalData | undefined {
    const isOfferer = receiver === this.offerer;
    const partner = isOfferer ? this.answerer : this.offerer;
    let next: SignalData | undefined;
    if (data.type === 'offer' && !isOfferer) next = answerData();
    else if (data.type === 'answer' && isOfferer) next = candidateData();
    else if (data.type === 'candidate' && !isOfferer) next = candidateData();
    if (next === undefined || !partner.peerId) {
      this.busy = false;
      return undefined;
    }
    receiver.signal(partner.peerId, next);
    return next;
  }
}
