import { EventEmitter } from 'node:events';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { parseServerMessage, type ServerMessage, SIGNALING_PROTOCOL } from '../protocol/index.js';
import { SignalConnection } from './signal-connection.js';
import { CLOSE_CODES, SIGNAL_SERVER_LIMITS as LIMITS } from './signal-limits.js';
import { createSignalMetrics } from './signal-metrics.js';
import { SwarmDirectory } from './swarm-directory.js';
import { metric } from './test-peer.js';

const CID = '00000000000000aa';

/** The part of a ws WebSocket a SignalConnection uses, with a send buffer the test sets. */
class FakeSocket extends EventEmitter {
  readyState: number = WebSocket.OPEN;
  bufferedAmount = 0;
  closedWith: number | undefined;
  readonly sent: ServerMessage[] = [];

  send(text: string): void {
    this.sent.push(parseServerMessage(text));
  }

  close(code: number): void {
    if (this.readyState !== WebSocket.OPEN) return;
    this.closedWith = code;
    this.readyState = WebSocket.CLOSED;
    queueMicrotask(() => this.emit('close', code));
  }

  terminate(): void {
    this.close(1006);
  }

  ping(): void {}

  /** What the client sends. */
  frame(message: unknown): void {
    this.emit('message', Buffer.from(JSON.stringify(message)), false);
  }

  last(): ServerMessage | undefined {
    return this.sent.at(-1);
  }
}

function server() {
  const registry = new Registry();
  const metrics = createSignalMetrics(registry, {
    connections: () => 0,
    swarms: () => 0,
    largestSwarm: () => 0,
    announcedIds: () => 0,
  });
  const directory = new SwarmDirectory(1);
  const connect = () => {
    const ws = new FakeSocket();
    const context = { directory, metrics, swarmKey: 's', address: { key: 'a', announced: 0 } };
    new SignalConnection(ws as unknown as WebSocket, context, () => {});
    ws.frame({ t: 'join', protocol: SIGNALING_PROTOCOL });
    const welcome = ws.last();
    if (welcome?.t !== 'welcome') throw new Error('no welcome');
    return { ws, id: welcome.peerId };
  };
  return { registry, connect };
}

describe('SignalConnection: no member can get another one closed', () => {
  // The token buckets refill with time: a frozen clock keeps the counts exact on a busy machine.
  beforeEach(() => vi.useFakeTimers({ toFake: ['performance', 'Date'] }));
  afterEach(() => vi.useRealTimers());

  it('drops relays to a receiver past relayBufferMark, telling the sender, and keeps both', async () => {
    const { registry, connect } = server();
    const victim = connect();
    const attacker = connect();
    victim.ws.frame({ t: 'announce', ids: [CID] });
    attacker.ws.frame({ t: 'find', id: 1, content: CID });
    expect(attacker.ws.last()).toMatchObject({ t: 'found', peers: [victim.id] });
    attacker.ws.frame({ t: 'signal', to: victim.id, data: { type: 'offer', sdp: 'v=0' } });
    expect(victim.ws.last()).toMatchObject({ t: 'signal', from: attacker.id });

    victim.ws.bufferedAmount = LIMITS.relayBufferMark + 1;
    const received = victim.ws.sent.length;
    // Far more than the sender's tolerance for its own excess: these are not its fault.
    for (let i = 0; i < LIMITS.droppedBurst * 2; i++) {
      attacker.ws.frame({
        t: 'signal',
        to: victim.id,
        data: { type: 'candidate', candidate: null },
      });
      if (i < LIMITS.pairRelayBurst - 1) {
        expect(attacker.ws.last()).toMatchObject({ t: 'error', code: 'rate-limited' });
      }
    }
    expect(victim.ws.sent.length).toBe(received);
    expect(victim.ws.closedWith).toBeUndefined();
    expect(
      await metric(registry, 'peerconnect_signal_refusals_total', {
        reason: 'relay-receiver-busy',
      }),
    ).toBe(LIMITS.pairRelayBurst - 1);
  });

  it('closes with 4003 a client that leaves maxSendBufferBytes of its own answers unread', async () => {
    const { registry, connect } = server();
    const reader = connect();
    reader.ws.bufferedAmount = LIMITS.relayBufferMark + 1;
    reader.ws.frame({ t: 'find', id: 1, content: CID });
    expect(reader.ws.closedWith).toBeUndefined();
    reader.ws.bufferedAmount = LIMITS.maxSendBufferBytes + 1;
    reader.ws.frame({ t: 'find', id: 2, content: CID });
    expect(reader.ws.closedWith).toBe(CLOSE_CODES.notReading);
    expect(
      await metric(registry, 'peerconnect_signal_refusals_total', { reason: 'not-reading' }),
    ).toBe(1);
  });
});
