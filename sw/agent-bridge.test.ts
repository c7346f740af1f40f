import { afterEach, describe, expect, it } from 'vitest';
import {
  BRIDGE_PROTOCOL,
  BROADCAST_CHANNEL_NAME,
  type ManifestAsset,
  PeerConnectError,
  type WorkerToAgentMessage,
} from '../protocol/index.js';
import { AgentBridge } from './agent-bridge.js';
import { makeAsset } from './asset-fixture.test-helper.js';

/** Asset records told apart by path. */
const asset = (n: number): ManifestAsset => makeAsset(`/a${n}.bin`, 10 + n, n).asset;

/** A stand-in agent: listens for `pc:need-agent` and collects the requests sent to it. */
class Agent {
  readonly channel = new MessageChannel();
  readonly fetches: { asset: ManifestAsset; reply: MessagePort }[] = [];
  /** Every message but the fetches, in order. */
  readonly heard: WorkerToAgentMessage[] = [];
  constructor() {
    this.channel.port1.onmessage = (event) => {
      if (event.data.type === 'pc:fetch')
        this.fetches.push({ asset: event.data.asset, reply: event.ports[0]! });
      else this.heard.push(event.data);
    };
  }
  /** `version` is what the hello says of its protocol: an agent of an old release says none. */
  hello(bridge: AgentBridge, version: { protocol?: number } = { protocol: BRIDGE_PROTOCOL }): void {
    bridge.handleMessage({ type: 'pc:agent-hello', enabled: true, ...version }, [
      this.channel.port2,
    ]);
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
    const bridge = new AgentBridge();
    const asks = listenForNeedAgent();
    const agent = new Agent();
    closers.push(() => agent.close());
    const opening = Array.from({ length: 10 }, (_, n) => bridge.open(asset(n)));
    await settle();
    expect(asks.count()).toBe(1);
    agent.hello(bridge);
    const sessions = await Promise.all(opening);
    await settle();
    expect(agent.fetches.map((f) => f.asset.path).sort()).toEqual(
      Array.from({ length: 10 }, (_, n) => `/a${n}.bin`),
    );
    // The whole record travels: the agent holds no manifest.
    expect(agent.fetches.find((f) => f.asset.path === '/a3.bin')?.asset).toEqual(asset(3));
    expect(agent.heard).toEqual([{ type: 'pc:ready', protocol: BRIDGE_PROTOCOL }]);
    for (const session of sessions) bridge.release(session);
  });

  it('keeps sessions alive when the agent links again, and fails only those of an agent that leaves', async () => {
    const bridge = new AgentBridge();
    const first = new Agent();
    const second = new Agent();
    closers.push(
      () => first.close(),
      () => second.close(),
    );
    first.hello(bridge);
    const early = await bridge.open(asset(1));
    second.hello(bridge);
    const late = await bridge.open(asset(2));
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
    const bridge = new AgentBridge();
    const agent = new Agent();
    closers.push(() => agent.close());
    agent.hello(bridge);
    const session = await bridge.open(asset(3));
    const started = Date.now();
    const waiting = session.next(5000);
    bridge.release(session);
    const result = await waiting;
    expect('error' in result && result.error).toBeInstanceOf(PeerConnectError);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('says p2p-disabled at once for a visitor who opted out', async () => {
    const bridge = new AgentBridge();
    bridge.handleMessage({ type: 'pc:agent-hello', enabled: false }, []);
    await expect(bridge.open(asset(0))).rejects.toSatisfy(
      (err) => err instanceof PeerConnectError && err.code === 'p2p-disabled',
    );
  });

  it('treats an agent of another bridge protocol as none: fetches fail fast, nothing is sent to it', async () => {
    for (const version of [
      {},
      { protocol: BRIDGE_PROTOCOL - 1 },
      { protocol: BRIDGE_PROTOCOL + 1 },
    ]) {
      const bridge = new AgentBridge();
      const asks = listenForNeedAgent();
      const agent = new Agent();
      closers.push(() => agent.close());
      agent.hello(bridge, version);
      const started = Date.now();
      await expect(bridge.open(asset(0))).rejects.toSatisfy(
        (err) => err instanceof PeerConnectError && err.code === 'agent-unavailable',
      );
      expect(Date.now() - started).toBeLessThan(500);
      await settle();
      expect(agent.fetches).toEqual([]);
      expect(agent.heard).toEqual([]);
      expect(asks.count()).toBe(0);
    }
  });

  it('sends pc:stored with the content hash', async () => {
    const bridge = new AgentBridge();
    const agent = new Agent();
    closers.push(() => agent.close());
    agent.hello(bridge);
    bridge.notifyStored(asset(5).sha256);
    await settle();
    expect(agent.heard).toEqual([
      { type: 'pc:ready', protocol: BRIDGE_PROTOCOL },
      { type: 'pc:stored', sha256: asset(5).sha256 },
    ]);
  });
});
