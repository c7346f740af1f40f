import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { SIGNALING_LIMITS, SIGNALING_PROTOCOL } from '../protocol/index.js';
import {
  CLOSE_CODES,
  SIGNAL_SERVER_LIMITS as LIMITS,
  type RefusalReason,
} from './signal-limits.js';
import type { ProxyView, SignalingOptions } from './signal-server.js';
import { contentId, metric, SignalingFixture, type TestPeer } from './test-peer.js';

/** Every refusal path of the server: its HTTP status or close code, and its counted reason. */

const SITE = 'https://site.example';
const CID = '00000000000000aa';
const CANDIDATE = { type: 'candidate', candidate: null } as const;
/** Past a pair's burst by more than it refills while the messages are handled. */
const PAIR_EXTRA = 20;
const HEADER_ADDRESS: ProxyView = {
  clientAddress: (request) => String(request.headers['x-test-address'] ?? ''),
  scheme: () => 'http',
};
const from = (n: number) => ({ headers: { 'x-test-address': `10.1.${n >> 8}.${n & 255}` } });

const fixture = new SignalingFixture();
afterEach(() => fixture.cleanup());
const start = (options?: Partial<SignalingOptions>) => fixture.start(options);
const refusals = (r: { registry: Parameters<typeof metric>[0] }, reason: RefusalReason) =>
  metric(r.registry, 'peerconnect_signal_refusals_total', { reason });

/** The HTTP status of a refused upgrade. */
async function refusedWith(url: string, options: ConstructorParameters<typeof WebSocket>[2]) {
  const ws = new WebSocket(url, options);
  ws.on('error', () => {});
  const [, response] = await once(ws, 'unexpected-response');
  ws.terminate();
  return response.statusCode as number;
}

/** Reads until an error with `code`, skipping quorum notices and answers. */
async function errorOf(peer: TestPeer, code: string): Promise<string> {
  for (;;) {
    const m = await peer.next();
    if (m.t === 'error' && m.code === code) return m.message;
  }
}

describe('signaling refusals', () => {
  it('refuses a cross-origin upgrade and a null Origin with 403, before any socket', async () => {
    const r = await start({ allowedOrigins: [SITE] });
    expect(await refusedWith(r.url, { origin: 'https://evil.example' })).toBe(403);
    expect(await refusedWith(r.url, { origin: 'null' })).toBe(403);
    expect(await refusedWith(r.url, { origin: `${SITE}/` })).toBe(403);
    expect((await fixture.join(r.url, SITE)).welcome?.peers).toBe(0);
    expect((await fixture.join(r.url, r.ownOrigin)).welcome?.peers).toBe(0);
    expect((await fixture.join(r.url)).welcome?.peers).toBe(1);
    expect(await refusals(r, 'origin')).toBe(3);
    expect(await metric(r.registry, 'peerconnect_signal_connections')).toBe(3);
  });

  it('refuses a client without Origin or usable Host with 400', async () => {
    const r = await start();
    expect(await refusedWith(r.url, { headers: { host: 'bad host' } })).toBe(400);
    expect(await refusals(r, 'bad-host')).toBe(1);
  });

  it('refuses past maxConnectionsPerAddress open with 429, and takes the next once one closed', async () => {
    const r = await start();
    const open: TestPeer[] = [];
    for (let i = 0; i < LIMITS.maxConnectionsPerAddress; i++) open.push(await fixture.open(r.url));
    expect(await refusedWith(r.url, {})).toBe(429);
    expect(await refusals(r, 'address-connections')).toBe(1);
    const first = open[0] as TestPeer;
    first.ws.close();
    await first.closed;
    await expect
      .poll(() => metric(r.registry, 'peerconnect_signal_connections'))
      .toBe(LIMITS.maxConnectionsPerAddress - 1);
    await fixture.open(r.url);
  });

  it('refuses past connectionBurstPerAddress new connections a minute with 429', async () => {
    const r = await start();
    for (let i = 0; i < LIMITS.connectionBurstPerAddress; i++) {
      const peer = await fixture.open(r.url);
      peer.ws.terminate();
      await peer.closed;
    }
    expect(await refusedWith(r.url, {})).toBe(429);
    expect(await refusals(r, 'address-rate')).toBe(1);
  });

  it('counts the closes: protocol mismatch 4000, flooding 4001, malformed 4002, too large 1009, no pong', async () => {
    const r = await start();
    const mismatch = await fixture.open(r.url);
    mismatch.send({ t: 'join', protocol: SIGNALING_PROTOCOL + 1 });
    expect(await mismatch.closed).toBe(CLOSE_CODES.protocolMismatch);
    const flood = await fixture.open(r.url);
    for (let i = 0; i < LIMITS.messageBurst * 3; i++) flood.send({ t: 'withdraw', ids: [CID] });
    expect(await flood.closed).toBe(CLOSE_CODES.rateLimited);
    const garbage = await fixture.open(r.url);
    for (let i = 0; i < LIMITS.maxBadMessagesInARow; i++) garbage.send('{');
    expect(await garbage.closed).toBe(CLOSE_CODES.malformed);
    const large = await fixture.open(r.url);
    large.send('x'.repeat(SIGNALING_LIMITS.maxMessageBytes + 1));
    expect(await large.closed).toBe(CLOSE_CODES.tooLarge);
    for (const reason of ['protocol-mismatch', 'rate-limited', 'malformed', 'too-large'] as const) {
      expect(await refusals(r, reason), reason).toBe(1);
    }
    // Its own server: a 50 ms heartbeat would also cut the busy sockets above on a loaded machine.
    const beating = await start({ heartbeatIntervalMs: 50 });
    const silent = await fixture.open(beating.url, { autoPong: false });
    expect(await silent.closed).toBe(1006);
    expect(await refusals(beating, 'no-pong')).toBe(1);
  });

  it('refuses ids past the address share with too-many-ids', async () => {
    const r = await start();
    const perMessage = SIGNALING_LIMITS.maxIdsPerMessage;
    const messages = LIMITS.maxAnnouncedIdsPerAddress / perMessage;
    const peers = await Promise.all([0, 1, 2].map(() => fixture.join(r.url)));
    for (let m = 0; m < messages; m++) {
      const ids = Array.from({ length: perMessage }, (_, i) => contentId(m * perMessage + i));
      (peers[m % 2] as TestPeer).send({ t: 'announce', ids });
    }
    // Two sockets' messages are not ordered with each other: wait for each to be handled.
    for (const peer of peers.slice(0, 2)) {
      peer.send({ t: 'find', id: 1, content: CID });
      for (let m = await peer.next(); m.t !== 'found'; m = await peer.next());
    }
    const third = peers[2] as TestPeer;
    third.send({ t: 'announce', ids: [contentId(1 << 30)] });
    expect(await errorOf(third, 'too-many-ids')).toContain('per address');
    expect(await refusals(r, 'address-announced')).toBe(1);
    expect(await metric(r.registry, 'peerconnect_signal_announced_ids')).toBe(
      LIMITS.maxAnnouncedIdsPerAddress,
    );
    // Closing one frees its share.
    const first = peers[0] as TestPeer;
    first.ws.close();
    await first.closed;
    await expect
      .poll(() => metric(r.registry, 'peerconnect_signal_announced_ids'))
      .toBe(LIMITS.maxAnnouncedIdsPerAddress / 2);
    third.send({ t: 'announce', ids: [contentId(1 << 30)] });
    third.send({ t: 'find', id: 1, content: CID });
    for (let m = await third.next(); m.t !== 'found'; m = await third.next());
    expect(await metric(r.registry, 'peerconnect_signal_announced_ids')).toBe(
      LIMITS.maxAnnouncedIdsPerAddress / 2 + 1,
    );
  });

  it('drops relays past a pair’s rate and a receiver’s fan-in, closing nobody', async () => {
    const r = await start({ proxyTrust: HEADER_ADDRESS });
    const receiver = await fixture.join(r.url, undefined, from(0));
    receiver.send({ t: 'announce', ids: [CID] });
    const senders: TestPeer[] = [];
    const count = Math.ceil(LIMITS.relayFanInBurst / LIMITS.pairRelayBurst) + 2;
    for (let i = 1; i <= count; i++) {
      const s = await fixture.join(r.url, undefined, from(i));
      expect(await s.find(CID)).toEqual([receiver.id]);
      s.send({ t: 'signal', to: receiver.id, data: { type: 'offer', sdp: 'v=0' } });
      senders.push(s);
    }
    // Each sender its whole pair burst and a few more, all at once.
    for (const s of senders) {
      for (let i = 0; i < LIMITS.pairRelayBurst + PAIR_EXTRA; i++) {
        s.send({ t: 'signal', to: receiver.id, data: CANDIDATE });
      }
    }
    await errorOf(senders.at(-1) as TestPeer, 'rate-limited');
    await expect.poll(() => refusals(r, 'relay-fan-in')).toBeGreaterThan(0);
    await expect.poll(() => refusals(r, 'relay-pair-rate')).toBeGreaterThan(0);
    expect(receiver.ws.readyState).toBe(WebSocket.OPEN);
    for (const s of senders) expect(s.ws.readyState).toBe(WebSocket.OPEN);
    const histogram = await r.registry.getSingleMetric('peerconnect_signal_relay_seconds')?.get();
    const relayed = ((histogram?.values ?? []) as { metricName?: string; value: number }[]).find(
      (v) => v.metricName === 'peerconnect_signal_relay_seconds_count',
    );
    expect(relayed?.value).toBeGreaterThanOrEqual(LIMITS.relayFanInBurst);
  });
});
