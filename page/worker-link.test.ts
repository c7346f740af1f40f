import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BRIDGE_PROTOCOL,
  BROADCAST_CHANNEL_NAME,
  type WorkerToAgentMessage,
} from '../protocol/index.js';
import { assetOf, eventually, tick } from './common.test-helper.js';
import { AGENT_LIMITS } from './config.js';
import { WorkerLink } from './worker-link.js';

const SHA = 'ab'.repeat(32);
const ASSET = assetOf('/a.css', new Uint8Array([1, 2, 3]), 'text/css');
const STORED = { type: 'pc:stored', sha256: SHA };

function helloOf(enabled: boolean) {
  return { type: 'pc:agent-hello', enabled, protocol: BRIDGE_PROTOCOL };
}

/** The active service worker: it keeps each hello and the worker's end of its port. */
class FakeWorker {
  readonly hellos: { message: unknown; port: WorkerEnd | undefined }[] = [];

  postMessage(message: unknown, transfer: Transferable[] = []): void {
    const port = transfer[0] as MessagePort | undefined;
    this.hellos.push({ message, port: port && new WorkerEnd(port) });
  }

  get ports(): WorkerEnd[] {
    return this.hellos.flatMap((h) => (h.port ? [h.port] : []));
  }
}

/** The worker's end of one link: what it received, and whether the agent closed it. */
class WorkerEnd {
  readonly received: unknown[] = [];
  closed = false;

  constructor(readonly port: MessagePort) {
    port.onmessage = (event) => this.received.push(event.data);
    port.addEventListener('close', () => {
      this.closed = true;
    });
  }
}

let worker: FakeWorker;
let container: EventTarget;
let page: EventTarget;
const channels: BroadcastChannel[] = [];

beforeEach(() => {
  worker = new FakeWorker();
  container = Object.assign(new EventTarget(), {
    ready: Promise.resolve({ active: worker }),
  });
  page = new EventTarget();
  vi.stubGlobal('navigator', { serviceWorker: container });
  vi.stubGlobal('window', page);
});

afterEach(() => {
  // The tab goes away: the link closes its BroadcastChannel.
  page.dispatchEvent(Object.assign(new Event('pagehide'), { persisted: false }));
  for (const channel of channels.splice(0)) channel.close();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

async function startLink(enabled = true) {
  const messages: { message: WorkerToAgentMessage; port: MessagePort | undefined }[] = [];
  const disables = { count: 0 };
  const link = new WorkerLink(enabled, {
    onMessage: (message, port) => messages.push({ message, port }),
    onDisable: () => disables.count++,
  });
  await link.start();
  await eventually(() => worker.hellos.length === 1, 'the first hello');
  return { link, messages, disables };
}

/** Another tab's service worker asking every tab for an agent. */
function needAgent(times = 1): void {
  const channel = new BroadcastChannel(BROADCAST_CHANNEL_NAME);
  channels.push(channel);
  for (let i = 0; i < times; i++) channel.postMessage({ type: 'pc:need-agent' });
}

/** Lets MessagePort and BroadcastChannel deliveries (other event-loop phases) happen. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    await tick();
  }
}

function controllerChange(): void {
  container.dispatchEvent(new Event('controllerchange'));
}

describe('WorkerLink', () => {
  it("hands the worker a port and passes on the worker's messages, parsed, with their reply port", async () => {
    const { messages } = await startLink();
    const [hello] = worker.hellos;
    expect(hello!.message).toEqual(helloOf(true));
    const reply = new MessageChannel();
    const end = hello!.port!.port;
    end.postMessage({ type: 'pc:fetch', id: 1, asset: ASSET }, [reply.port2]);
    end.postMessage({ type: 'pc:fetch', id: -1, asset: ASSET });
    // A record whose chunk list does not match its size is dropped too.
    end.postMessage({ type: 'pc:fetch', id: 2, asset: { ...ASSET, chunks: [] } });
    end.postMessage({ type: 'pc:hello' });
    end.postMessage(STORED);
    await eventually(() => messages.length === 2, 'two messages');
    await settle();
    expect(messages.map((m) => m.message)).toEqual([
      { type: 'pc:fetch', id: 1, asset: ASSET },
      STORED,
    ]);
    expect(messages[0]!.port).toBeDefined();
    expect(messages[1]!.port).toBeUndefined();
    reply.port1.close();
  });

  it('says it is disabled and hands no port when peer-to-peer is off', async () => {
    await startLink(false);
    expect(worker.hellos).toEqual([{ message: helloOf(false), port: undefined }]);
  });

  it('on opting out, closes its ports and says so; on opting in, hands a port again', async () => {
    const { link } = await startLink();
    link.setEnabled(false);
    await eventually(() => worker.hellos.length === 2, 'the disabled hello');
    await eventually(() => worker.ports[0]!.closed, 'the old port closing');
    expect(worker.hellos[1]).toEqual({ message: helloOf(false), port: undefined });
    link.setEnabled(true);
    await eventually(() => worker.hellos.length === 3, 'the enabled hello');
    expect(worker.hellos[2]!.message).toEqual(helloOf(true));
    expect(worker.hellos[2]!.port).toBeDefined();
    link.setEnabled(true);
    await settle();
    expect(worker.hellos).toHaveLength(3);
  });

  it("passes the worker's kill switch broadcast on", async () => {
    const { disables } = await startLink();
    const channel = new BroadcastChannel(BROADCAST_CHANNEL_NAME);
    channels.push(channel);
    channel.postMessage({ type: 'pc:disable' });
    await eventually(() => disables.count === 1, 'the disable');
  });

  it('answers a burst of need-agent broadcasts with one hello, past the debounce', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    await startLink();
    // Right after a hello, the worker will get that one.
    needAgent();
    await settle();
    expect(worker.hellos).toHaveLength(1);
    vi.advanceTimersByTime(AGENT_LIMITS.needAgentDebounceMs + 1);
    needAgent(3);
    const other = new BroadcastChannel(BROADCAST_CHANNEL_NAME);
    channels.push(other);
    other.postMessage({ type: 'pc:leader-stats', bytesUploaded: 0, peers: 0 });
    other.postMessage('not ours');
    await eventually(() => worker.hellos.length === 2, 'a second hello');
    await settle();
    expect(worker.hellos).toHaveLength(2);
    expect(worker.hellos[1]!.message).toEqual(helloOf(true));
  });

  it('links again when a new worker takes over', async () => {
    await startLink();
    controllerChange();
    await eventually(() => worker.hellos.length === 2, 'a second hello');
  });

  it('keeps the newest workerPortsKept ports open and closes older ones', async () => {
    const { messages } = await startLink();
    const kept = AGENT_LIMITS.workerPortsKept;
    for (let i = 1; i <= kept; i++) controllerChange();
    await eventually(() => worker.hellos.length === kept + 1, 'the hellos');
    const [oldest, ...newer] = worker.ports;
    await eventually(() => oldest!.closed, 'the oldest port closing');
    await settle();
    expect(newer.map((end) => end.closed)).toEqual(Array(kept).fill(false));
    for (const end of newer) {
      end.port.postMessage(STORED);
    }
    await eventually(() => messages.length === kept, 'a message over each kept port');
  });

  it('a port whose worker end closed frees its slot for the older ones', async () => {
    const { messages } = await startLink();
    const kept = AGENT_LIMITS.workerPortsKept;
    for (let i = 1; i < kept; i++) controllerChange();
    await eventually(() => worker.hellos.length === kept, 'the hellos');
    // The workers behind every port but the first stopped.
    const [first, ...gone] = worker.ports;
    for (const end of gone) end.port.close();
    await settle();
    controllerChange();
    await eventually(() => worker.hellos.length === kept + 1, 'one more hello');
    await settle();
    expect(first!.closed).toBe(false);
    first!.port.postMessage(STORED);
    await eventually(() => messages.length === 1, 'a message over the first port');
  });

  it('says goodbye on every open port when the tab goes away, and links no more', async () => {
    await startLink();
    controllerChange();
    await eventually(() => worker.hellos.length === 2, 'a second hello');
    // Into the back/forward cache: it may come back, so no goodbye.
    page.dispatchEvent(Object.assign(new Event('pagehide'), { persisted: true }));
    await settle();
    expect(worker.ports.map((end) => end.received)).toEqual([[], []]);
    page.dispatchEvent(Object.assign(new Event('pagehide'), { persisted: false }));
    await eventually(() => worker.ports.every((end) => end.received.length === 1), 'goodbyes');
    expect(worker.ports.map((end) => end.received)).toEqual([
      [{ type: 'pc:agent-bye' }],
      [{ type: 'pc:agent-bye' }],
    ]);
    controllerChange();
    await settle();
    expect(worker.hellos).toHaveLength(2);
  });
});
