import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { SIGNALING_LIMITS, SIGNALING_PROTOCOL } from '../protocol/index.js';
import { SIGNAL_SERVER_LIMITS as LIMITS } from './signal-limits.js';
import type { ProxyView, SignalingOptions } from './signal-server.js';
import { contentId, metric, SignalingFixture, type TestPeer } from './test-peer.js';

/**
 * The attacks of issue 11, each replayed against the server (loopback, in-process, bounded)
 * and shown not to work any more. Memory and time are in signal-bounds.test.ts.
 */

const CID = '00000000000000aa';
const SITE = 'https://site.example';
const OFFER = { type: 'offer', sdp: 'v=0' } as const;
/** An offer as large as a frame allows: each kicker has one to send. */
const FAT_OFFER = {
  type: 'offer',
  sdp: 'v'.repeat(SIGNALING_LIMITS.maxMessageBytes - 200),
} as const;
/** The largest candidate the protocol allows: what a flood at a paused reader would send. */
const FAT_CANDIDATE = {
  type: 'candidate',
  candidate: {
    candidate: 'c'.repeat(1024),
    sdpMid: 'm'.repeat(64),
    usernameFragment: 'u'.repeat(256),
  },
} as const;
const PINNERS = 16;
const REPLAY_MS = 50;
const REPLAYS = 10;
const KICKERS = 100;
const KICK_DEADLINE_MS = 20_000;

/** Lets a test be many clients on loopback: the client's address is a header it sends. */
const HEADER_ADDRESS: ProxyView = {
  clientAddress: (request) => String(request.headers['x-test-address'] ?? 'unset'),
  scheme: () => 'http',
};
/** Client `n`'s address (IPs: anything else counts as one address). */
const from = (n: number) => ({ headers: { 'x-test-address': `10.0.${n >> 8}.${n & 255}` } });
const SEEDER = 1;
const ASKER = 2;
const TOGGLER = 3;
const HONEST = 4;
const ATTACKERS = 100;

const fixture = new SignalingFixture();
afterEach(() => fixture.cleanup());
const start = (options?: Partial<SignalingOptions>) => fixture.start(options);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads messages until one that is not a quorum notice. */
async function next(peer: TestPeer) {
  for (;;) {
    const m = await peer.next();
    if (m.t !== 'quorum') return m;
  }
}

/** Joins, announces CID and waits until the server has indexed it. */
async function seeder(url: string): Promise<TestPeer> {
  const peer = await fixture.join(url, undefined, from(SEEDER));
  peer.send({ t: 'announce', ids: [CID] });
  peer.send({ t: 'find', id: 0, content: CID });
  await next(peer);
  return peer;
}

/** Finds CID until `target` is among the answer (a find answers a random sample). */
async function findUntil(peer: TestPeer, target: string): Promise<void> {
  for (let id = 1; !(await find(peer, id)).includes(target); id++);
}

/** Signals `peer` received and has not read, after waiting `ms` for stragglers. */
async function drain(peer: TestPeer, ms: number): Promise<number> {
  await sleep(ms);
  let signals = 0;
  while (peer.pending > 0) if ((await peer.next()).t === 'signal') signals++;
  return signals;
}

/** Asks who holds CID, skipping what else the peer was sent (the errors of an attack). */
async function find(peer: TestPeer, id: number): Promise<string[]> {
  peer.send({ t: 'find', id, content: CID });
  for (;;) {
    const found = await peer.next();
    if (found.t === 'found' && found.id === id) return found.peers;
  }
}

describe('issue 11 attacks', () => {
  it('squatting: a first joiner cannot set or lock the swarm for others', async () => {
    const { url } = await start({ minSwarm: 1, allowedOrigins: [SITE] });
    const squatter = await fixture.open(url, { origin: SITE });
    // The v1 squat: join first with a swarm of one asset. Unknown fields are ignored.
    squatter.send({
      t: 'join',
      protocol: SIGNALING_PROTOCOL,
      assets: 1,
      swarm: 'x',
      minSwarm: 999,
    });
    expect(await squatter.next()).toMatchObject({ t: 'welcome', peers: 0, minSwarm: 1 });
    const honest = await fixture.join(url, SITE);
    expect(honest.welcome).toMatchObject({ peers: 1, minSwarm: 1 });
    honest.send({ t: 'announce', ids: [CID] });
    const second = await fixture.join(url, SITE);
    expect(second.welcome).toMatchObject({ peers: 2, minSwarm: 1 });
    const peers = await second.find(CID);
    expect(peers).toEqual([honest.id]);
  });

  it('pinning: offers go only to peers a find named, one open offer per pair', async () => {
    const { url, registry } = await start({ proxyTrust: HEADER_ADDRESS });
    const victim = await seeder(url);
    const pinners: TestPeer[] = [];
    for (let i = 0; i < PINNERS; i++) {
      pinners.push(await fixture.join(url, undefined, from(ATTACKERS + i)));
    }
    // Replayed offers without asking first: none reaches the victim.
    for (let r = 0; r < REPLAYS; r++) {
      for (const p of pinners) p.send({ t: 'signal', to: victim.id, data: OFFER });
      await sleep(REPLAY_MS);
    }
    expect(await drain(victim, REPLAY_MS * 2)).toBe(0);
    const notAsked = { reason: 'relay-not-asked' };
    expect(await metric(registry, 'peerconnect_signal_refusals_total', notAsked)).toBe(
      PINNERS * REPLAYS,
    );
    // Having asked, each gets one offer through; the replays are refused.
    for (const p of pinners) await findUntil(p, victim.id);
    for (let r = 0; r < REPLAYS; r++) {
      for (const p of pinners) p.send({ t: 'signal', to: victim.id, data: OFFER });
      await sleep(REPLAY_MS);
    }
    expect(await drain(victim, REPLAY_MS * 2)).toBe(PINNERS);
    const open = { reason: 'relay-offer-open' };
    expect(await metric(registry, 'peerconnect_signal_refusals_total', open)).toBe(
      PINNERS * (REPLAYS - 1),
    );
    // An honest dialler still gets through, and gets the answer.
    const honest = await fixture.join(url, undefined, from(HONEST));
    await findUntil(honest, victim.id);
    honest.send({ t: 'signal', to: victim.id, data: OFFER });
    expect(await next(victim)).toMatchObject({ t: 'signal', from: honest.id });
    victim.send({ t: 'signal', to: honest.id, data: { type: 'answer', sdp: 'v=0' } });
    expect(await next(honest)).toMatchObject({ t: 'signal', from: victim.id });
  });

  it('kicking: a flood at a paused reader is dropped, the reader stays', async () => {
    const { url, registry } = await start({ proxyTrust: HEADER_ADDRESS });
    const victim = await seeder(url);
    const kickers: TestPeer[] = [];
    for (let i = 0; i < KICKERS; i++) {
      const k = await fixture.join(url, undefined, from(ATTACKERS + i));
      await findUntil(k, victim.id);
      kickers.push(k);
    }
    victim.ws.pause();
    for (const k of kickers) k.send({ t: 'signal', to: victim.id, data: FAT_OFFER });
    const busy = () =>
      metric(registry, 'peerconnect_signal_refusals_total', { reason: 'relay-receiver-busy' });
    // Each at its pair's sustained rate, the fattest candidates allowed, until the server
    // stops relaying to the victim.
    const t0 = performance.now();
    const deadline = t0 + KICK_DEADLINE_MS;
    while ((await busy()) === 0 && performance.now() < deadline) {
      for (const k of kickers) {
        for (let i = 0; i < LIMITS.pairRelayPerSecond / 10; i++) {
          k.send({ t: 'signal', to: victim.id, data: FAT_CANDIDATE });
        }
      }
      await sleep(100);
    }
    console.log(
      `kick: the server stopped relaying after ${(performance.now() - deadline + KICK_DEADLINE_MS).toFixed(0)} ms`,
    );
    expect(await busy()).toBeGreaterThan(0);
    expect(victim.ws.readyState).toBe(victim.ws.OPEN);
    victim.ws.resume();
    await sleep(100);
    victim.send({ t: 'find', id: 99, content: contentId(9) });
    for (;;) {
      const m = await next(victim);
      if (m.t === 'found') break;
    }
    expect(victim.ws.readyState).toBe(victim.ws.OPEN);
  });

  it('the 100k toggle: announce/withdraw of 1024 ids at the message rate, finds stay fast', async () => {
    const { url } = await start({ proxyTrust: HEADER_ADDRESS });
    const asker = await fixture.join(url, undefined, from(ASKER));
    await seeder(url);
    const toggler = await fixture.join(url, undefined, from(TOGGLER));
    const ids = Array.from({ length: SIGNALING_LIMITS.maxIdsPerMessage }, (_, i) =>
      contentId(0x10000 + i),
    );
    const frames = ['announce', 'withdraw'].map((t) => JSON.stringify({ t, ids }));
    let sent = 0;
    const toggle = setInterval(
      () => {
        // Ten per tick at 100 ticks a second would be over the rate: stay just under it.
        toggler.send(frames[sent++ % 2] as string);
      },
      1000 / LIMITS.messagesPerSecond + 1,
    );
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const latencies: number[] = [];
    try {
      for (let id = 1; latencies.length < 60; id++) {
        const t0 = performance.now();
        expect(await find(asker, id)).toHaveLength(1);
        latencies.push(performance.now() - t0);
        await sleep(1000 / LIMITS.findsPerSecond);
      }
    } finally {
      clearInterval(toggle);
      delay.disable();
    }
    latencies.sort((a, b) => a - b);
    const p50 = latencies[latencies.length >> 1] as number;
    const p95 = latencies[Math.floor(latencies.length * 0.95)] as number;
    console.log(
      `toggle: ${sent} full announce/withdraw frames while finding; find p50 ${p50.toFixed(1)} ms, ` +
        `p95 ${p95.toFixed(1)} ms, max ${(latencies.at(-1) as number).toFixed(1)} ms; ` +
        `event loop delay max ${(delay.max / 1e6).toFixed(1)} ms`,
    );
    expect(p95).toBeLessThan(50);
    expect(toggler.ws.readyState).toBe(toggler.ws.OPEN);
  });
});
