import { afterEach, describe, expect, it } from 'vitest';
import { SIGNALING_LIMITS } from '../protocol/index.js';
import { SIGNAL_SERVER_LIMITS } from './signal-limits.js';
import type { SignalingOptions } from './signal-server.js';
import { contentId, metric, SignalingFixture, type TestPeer } from './test-peer.js';

const X = '00000000000000aa';
const Y = '00000000000000bb';
const SITE = 'https://site.example';
const OTHER_SITE = 'https://other.example';
/** A content id nobody announces, asked for only to order messages. */
const BARRIER = 'ffffffffffffffff';

const fixture = new SignalingFixture();
afterEach(() => fixture.cleanup());
const start = (options?: Partial<SignalingOptions>) => fixture.start(options);
const join = (url: string, origin?: string) => fixture.join(url, origin);

/** Joins and announces `ids`, and waits until the server has indexed them. */
async function holder(url: string, ids: string[], origin?: string): Promise<TestPeer> {
  const peer = await join(url, origin);
  peer.send({ t: 'announce', ids });
  await settled(peer);
  return peer;
}

/**
 * Resolves once the server has handled everything `peer` sent before: a socket's messages are
 * handled in order, but two sockets' messages are not ordered with each other.
 */
async function settled(peer: TestPeer): Promise<void> {
  await find(peer, BARRIER);
}

/** Reads messages until a `found`, skipping quorum notices. */
async function nextFound(peer: TestPeer) {
  for (;;) {
    const m = await peer.next();
    if (m.t !== 'quorum') return m;
  }
}

async function find(peer: TestPeer, content: string, max?: number): Promise<string[]> {
  peer.send({ t: 'find', id: 7, content, max });
  const found = await nextFound(peer);
  if (found.t !== 'found') throw new Error(`expected found, got ${JSON.stringify(found)}`);
  return found.peers;
}

describe('signaling swarms', () => {
  it('keys swarms by Origin, and a client without one joins the server’s own origin', async () => {
    const { url, ownOrigin, registry } = await start({ allowedOrigins: [SITE, OTHER_SITE] });
    const site = await holder(url, [X], SITE);
    const other = await holder(url, [X], OTHER_SITE);
    const node = await holder(url, [X]);
    // A browser page on the server's own origin meets the Node client.
    const own = await join(url, ownOrigin);
    expect(own.welcome?.peers).toBe(1);
    expect(await find(own, X)).toEqual([node.id]);
    const asker = await join(url, SITE);
    expect(await find(asker, X)).toEqual([site.id]);
    expect(await find(await join(url, OTHER_SITE), X)).toEqual([other.id]);
    expect(await metric(registry, 'peerconnect_signal_swarms')).toBe(3);
  });

  it('finds holders of a content id other than the asker, at most max', async () => {
    const { url } = await start();
    const asker = await holder(url, [X]);
    const holders: string[] = [];
    for (let i = 0; i < 3; i++) holders.push((await holder(url, [X, Y])).id);
    const onlyY = await holder(url, [Y]);
    expect((await find(asker, X)).sort()).toEqual([...holders].sort());
    expect((await find(asker, Y)).sort()).toEqual([...holders, onlyY.id].sort());
    expect(await find(asker, contentId(1))).toEqual([]);
    const two = await find(asker, X, 2);
    expect(two).toHaveLength(2);
    for (const id of two) expect(holders).toContain(id);
  });

  it('caps find at maxFoundPeers and spreads the answers over every holder', async () => {
    const { url } = await start();
    const asker = await join(url);
    const holders = new Set<string>();
    for (let i = 0; i < SIGNALING_LIMITS.maxFoundPeers * 2; i++) {
      holders.add((await holder(url, [X])).id);
    }
    expect(await find(asker, X)).toHaveLength(SIGNALING_LIMITS.maxFoundPeers);
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) for (const id of await find(asker, X, 2)) seen.add(id);
    expect(seen).toEqual(holders);
  });

  it('withdraw removes ids; duplicates and unknown ids are no-ops', async () => {
    const { url, registry } = await start();
    const asker = await join(url);
    const a = await holder(url, [X, X, Y]);
    a.send({ t: 'announce', ids: [X] });
    a.send({ t: 'withdraw', ids: [Y, contentId(5)] });
    await settled(a);
    expect(await find(asker, X)).toEqual([a.id]);
    expect(await find(asker, Y)).toEqual([]);
    expect(await metric(registry, 'peerconnect_signal_announced_ids')).toBe(1);
    expect(a.pending).toBe(0);
  });

  it('forgets every id a socket announced when it closes', async () => {
    const { url, registry } = await start();
    const asker = await join(url);
    const a = await holder(url, [X, Y]);
    const b = await holder(url, [X]);
    expect(await find(asker, X)).toHaveLength(2);
    expect(await metric(registry, 'peerconnect_signal_announced_ids')).toBe(3);
    a.ws.close();
    b.ws.terminate();
    await Promise.all([a.closed, b.closed]);
    await expect.poll(() => metric(registry, 'peerconnect_signal_announced_ids')).toBe(0);
    expect(await find(asker, X)).toEqual([]);
    expect(await find(asker, Y)).toEqual([]);
    expect((await join(url)).welcome?.peers).toBe(1);
  });

  it('answers no peers and tells of quorum until minSwarm other peers are present', async () => {
    const { url } = await start({ minSwarm: 2 });
    const a = await holder(url, [X]);
    expect(a.welcome).toMatchObject({ peers: 0, minSwarm: 2 });
    const b = await join(url);
    expect(b.welcome?.peers).toBe(1);
    expect(await b.find(X)).toEqual([]);
    const c = await join(url);
    expect(c.welcome?.peers).toBe(2);
    expect(await a.next()).toEqual({ t: 'quorum', reached: true });
    expect(await b.next()).toEqual({ t: 'quorum', reached: true });
    expect(await c.find(X)).toEqual([a.id]);
    expect(await b.find(X)).toEqual([a.id]);
    // A fourth peer changes nobody's quorum, so nothing is sent.
    const d = await join(url);
    expect(await d.find(X)).toEqual([a.id]);
    d.ws.close();
    await d.closed;
    expect(await b.find(X)).toEqual([a.id]);
    c.ws.close();
    await c.closed;
    expect(await a.next()).toEqual({ t: 'quorum', reached: false });
    expect(await b.next()).toEqual({ t: 'quorum', reached: false });
    expect(await b.find(X)).toEqual([]);
    expect([a.pending, b.pending]).toEqual([0, 0]);
  });

  it('refuses ids past maxAnnouncedIds with too-many-ids and keeps the rest', async () => {
    const { url, registry } = await start();
    const asker = await join(url);
    const a = await join(url);
    const cap = SIGNALING_LIMITS.maxAnnouncedIds;
    const perMessage = SIGNALING_LIMITS.maxIdsPerMessage;
    for (let m = 0; m < cap / perMessage; m++) {
      a.send({
        t: 'announce',
        ids: Array.from({ length: perMessage }, (_, i) => contentId(m * perMessage + i)),
      });
    }
    // Ids already held are no-ops, not refusals, even at the cap.
    a.send({ t: 'announce', ids: [contentId(0), contentId(1)] });
    expect(await a.find(X)).toEqual([]);
    a.send({ t: 'announce', ids: [contentId(cap), contentId(cap + 1), contentId(2)] });
    await a.error('too-many-ids');
    expect(await find(asker, contentId(cap))).toEqual([]);
    expect(await find(asker, contentId(cap - 1))).toEqual([a.id]);
    expect(await metric(registry, 'peerconnect_signal_announced_ids')).toBe(cap);
    // Withdrawing makes room again.
    a.send({ t: 'withdraw', ids: [contentId(0)] });
    a.send({ t: 'announce', ids: [contentId(cap)] });
    await settled(a);
    expect(await find(asker, contentId(cap))).toEqual([a.id]);
    expect(a.pending).toBe(0);
  });

  it('rate-limits finds: past the burst each is answered with no peers and rate-limited', async () => {
    const { url, registry } = await start();
    await holder(url, [X]);
    const asker = await join(url);
    const { findBurst, findsPerSecond } = SIGNAL_SERVER_LIMITS;
    const extra = 30;
    for (let i = 0; i < findBurst + extra; i++) asker.send({ t: 'find', id: i, content: X });
    let served = 0;
    let refused = 0;
    for (let i = 0; i < findBurst + extra; i++) {
      const found = await nextFound(asker);
      expect(found).toMatchObject({ t: 'found', id: i, content: X });
      if (found.t === 'found' && found.peers.length > 0) served++;
      else {
        refused++;
        await asker.error('rate-limited');
      }
    }
    // The burst, plus what the bucket refilled while the server worked through the finds.
    expect(served).toBeGreaterThanOrEqual(findBurst);
    expect(refused).toBeGreaterThan(extra / 2);
    expect(
      await metric(registry, 'peerconnect_signal_errors_total', { code: 'rate-limited' }),
    ).toBe(refused);
    await new Promise((r) => setTimeout(r, (2 * 1000) / findsPerSecond));
    expect(await asker.find(X, undefined, 1000)).toHaveLength(1);
    expect(asker.ws.readyState).toBe(asker.ws.OPEN);
  });
});
