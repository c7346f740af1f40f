import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../testing/redis-server.js';
import { CLUSTER_LIMITS } from './cluster.js';
import { CLUSTER_METRIC_NAMES } from './cluster-metrics.js';
import { metric, type RunningSignaling, SignalingFixture, type TestPeer } from './test-peer.js';

// Two (or three) signaling nodes sharing swarms through a real redis-server on a free port.

const SITE = 'https://site.example';
const X = '00000000000000aa';
const Y = '00000000000000bb';
const REPO_ROOT = resolve(import.meta.dirname, '..');
/** Generous for a busy 2-core machine: a mirror takes a pub/sub round trip. */
const POLL = { timeout: 10_000, interval: 50 };
/** A node that stops saying it is alive is forgotten after its TTL, plus a beat of slack. */
const DEATH_MS = CLUSTER_LIMITS.nodeTtlMs + 3 * CLUSTER_LIMITS.aliveIntervalMs;

let redis: RedisServer;
const fixture = new SignalingFixture();
const children: ChildProcess[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(() => redis.stop());
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await fixture.cleanup();
  await redis.start();
});

const node = () => fixture.start({ redis: redis.url, allowedOrigins: [SITE] });
const join = (r: RunningSignaling) => fixture.join(r.url, SITE);

let findId = 1;
/** Who holds `content`, as `peer` is told (quorum notices skipped). */
async function holders(peer: TestPeer, content: string): Promise<string[]> {
  const id = findId++;
  peer.send({ t: 'find', id, content });
  for (;;) {
    const m = await peer.next();
    if (m.t === 'found' && m.id === id) return m.peers;
    if (m.t !== 'quorum') throw new Error(`unexpected ${JSON.stringify(m)}`);
  }
}

/** The next `signal` `peer` receives (quorum notices skipped). */
async function nextSignal(peer: TestPeer) {
  for (;;) {
    const m = await peer.next();
    if (m.t === 'signal') return m;
    if (m.t !== 'quorum') throw new Error(`unexpected ${JSON.stringify(m)}`);
  }
}

async function up(r: RunningSignaling): Promise<number> {
  return metric(r.registry, CLUSTER_METRIC_NAMES.up);
}

/** `peerconnect serve --signal-only --redis` in its own process, which a test can kill. */
async function nodeProcess(): Promise<string> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      resolve(REPO_ROOT, 'cli', 'main.ts'),
      'serve',
      '--signal-only',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--stun-port',
      '0',
      '--redis',
      redis.url,
      '--allowed-origins',
      SITE,
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let out = '';
  return new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not start: ${out}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /at http:\/\/(127\.0\.0\.1:\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolveUrl(`ws://${match[1]}/peerconnect/signal`);
      }
    });
    child.stderr?.resume();
  });
}

describe('signaling over Redis', () => {
  it('finds holders, relays and sees withdraws and leaves across nodes', async () => {
    const [one, two] = await Promise.all([node(), node()]);
    await expect.poll(() => up(one), POLL).toBe(1);
    await expect.poll(() => up(two), POLL).toBe(1);
    const a = await join(one);
    a.send({ t: 'announce', ids: [X, Y] });
    const b = await join(two);
    await expect.poll(() => holders(b, X), POLL).toEqual([a.id]);

    b.send({ t: 'signal', to: a.id, data: { type: 'offer', sdp: 'v=0 offer' } });
    expect(await nextSignal(a)).toEqual({
      t: 'signal',
      from: b.id,
      data: { type: 'offer', sdp: 'v=0 offer' },
    });
    a.send({ t: 'signal', to: b.id, data: { type: 'answer', sdp: 'v=0 answer' } });
    expect((await nextSignal(b)).data).toEqual({ type: 'answer', sdp: 'v=0 answer' });

    a.send({ t: 'withdraw', ids: [X] });
    await expect.poll(() => holders(b, X), POLL).toEqual([]);
    expect(await holders(b, Y)).toEqual([a.id]);
    a.ws.close();
    await expect.poll(() => holders(b, Y), POLL).toEqual([]);
  });

  it('forgets a node that says goodbye at once, and one that dies after its TTL', async () => {
    const [one, two] = await Promise.all([node(), node()]);
    const a = await join(one);
    a.send({ t: 'announce', ids: [X] });
    const b = await join(two);
    await expect.poll(() => holders(b, X), POLL).toEqual([a.id]);
    await one.stop();
    await expect.poll(() => holders(b, X), POLL).toEqual([]);

    const dying = await fixture.join(await nodeProcess(), SITE);
    dying.send({ t: 'announce', ids: [Y] });
    await expect.poll(() => holders(b, Y), POLL).toEqual([dying.id]);
    for (const child of children) child.kill('SIGKILL');
    await expect
      .poll(() => holders(b, Y), { timeout: DEATH_MS + POLL.timeout, interval: 250 })
      .toEqual([]);
  }, 60_000);

  it('degrades to per-node swarms while Redis is down and recovers by itself', async () => {
    const [one, two] = await Promise.all([node(), node()]);
    const a = await join(one);
    a.send({ t: 'announce', ids: [X] });
    const b = await join(two);
    const c = await join(two);
    c.send({ t: 'announce', ids: [X] });
    await expect.poll(async () => (await holders(b, X)).sort(), POLL).toEqual([a.id, c.id].sort());

    await redis.stop();
    await expect.poll(() => up(two), POLL).toBe(0);
    // Node two still serves its own peers; node one's are gone from it.
    await expect.poll(() => holders(b, X), POLL).toEqual([c.id]);
    expect(await metric(two.registry, CLUSTER_METRIC_NAMES.outages)).toBeGreaterThanOrEqual(1);

    await redis.start();
    await expect.poll(() => up(one), POLL).toBe(1);
    await expect.poll(() => up(two), POLL).toBe(1);
    await expect.poll(async () => (await holders(b, X)).sort(), POLL).toEqual([a.id, c.id].sort());
    // And the other way: node one mirrors node two's peers again.
    await expect.poll(async () => (await holders(a, X)).sort(), POLL).toEqual([c.id]);
  }, 60_000);
});
