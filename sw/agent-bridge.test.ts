import { afterEach, describe, expect, it } from 'vitest';
import { BROADCAST_CHANNEL_NAME, PeerConnectError } from '../protocol/index.js';
import { AgentBridge } from './agent-bridge.js';

const VERSION = 'a'.repeat(64);

/** A stand-in agent: listens for `pc:need-agent` and collects the requests sent to it. */
class Agent {
  readonly channel = new MessageChannel();
  readonly fetches: { asset: number; reply: MessagePort }[] = [];
  constructor() {
    this.channel.port1.onmessage = (event) => {
      if (event.data.type === 'pc:fetch')
        this.fetches.push({ asset: event.data.asset, reply: event.ports[0]! });
    };
  }
  hello(bridge: AgentBridge): void {
    bridge.handleMessage({ type: 'pc:agent-hello', enabled: true }, [this.channel.port2]);
  }
  close(): void {
    this.channel.port1.close();
  }
}

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

function listenForNeedAgent(): { count: () => number } {
  const channel = new BroadcastChannel(BROADCAST_CHANNEL_NAME);
  let count = 0;
  channel.onmessage = (event) => {
    if (event.data?.type === 'pc:need-agent') count++;
  };
  closers.push(() => channel.close());
  return { count: () => count };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('AgentBridge', () => {
  it('asks for an agent once for a burst of fetches, and sends them all to the one that answers', async () => {
    const bridge = new AgentBridge(() => undefined);
    const asks = listenForNeedAgent();
    const agent = new Agent();
    closers.push(() => agent.close());
    const opening = Array.from({ length: 10 }, (_, asset) => bridge.open(asset, VERSION));
    await settle();
    expect(asks.count()).toBe(1);
    agent.hello(bridge);
    const sessions = await Promise.all(opening);
    await settle();
    expect(agent.fetches.map((f) => f.asset).sort((a, b) => a - b)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
    for (const session of sessions) bridge.release(session);
  });

  it('keeps sessions alive when the agent links again, and fails only those of an agent that leaves', async () => {
    const bridge = new AgentBridge(() => undefined);
    const first = new Agent();
    const second = new Agent();
    closers.push(
      () => first.close(),
      () => second.close(),
    );
    first.hello(bridge);
    const early = await bridge.open(1, VERSION);
    second.hello(bridge);
    const late = await bridge.open(2, VERSION);
    await settle();
    // The first agent's link says goodbye: its session falls back, the other is untouched.
    first.channel.port1.postMessage({ type: 'pc:agent-bye' });
    const fell = await early.next(1000);
    expect('error' in fell && fell.error.code).toBe('agent-unavailable');
    const data = new ArrayBuffer(4);
    second.fetches[0]!.reply.postMessage({ type: 'pc:chunk', index: 0, data }, [data]);
    const chunk = await late.next(1000);
    expect('index' in chunk && chunk.index).toBe(0);
    bridge.release(late);
  });

  it('wakes a reader at once when its session is cancelled', async () => {
    const bridge = new AgentBridge(() => undefined);
    const agent = new Agent();
    closers.push(() => agent.close());
    agent.hello(bridge);
    const session = await bridge.open(3, VERSION);
    const started = Date.now();
    const waiting = session.next(5000);
    bridge.release(session);
    const result = await waiting;
    expect('error' in result && result.error).toBeInstanceOf(PeerConnectError);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('says p2p-disabled at once for a visitor who opted out', async () => {
    const bridge = new AgentBridge(() => undefined);
    bridge.handleMessage({ type: 'pc:agent-hello', enabled: false }, []);
    await expect(bridge.open(0, VERSION)).rejects.toSatisfy(
      (err) => err instanceof PeerConnectError && err.code === 'p2p-disabled',
    );
  });
});
