import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SECOND_SERVER_IP, stunProbe, TURN_ALT_IP } from '../testing/netbed/index.js';
import { expect, test } from './nat/fixtures.js';
import {
  candidatePairs,
  expectSameBytesAsOrigin,
  iceServersSeen,
  instrumentPeerConnections,
  measuredFirstVisit,
  pairHas,
} from './nat/peers.js';
import { seedPage, stats, waitForServed } from './swarm.js';

/**
 * Peer to peer across real NAT routers (the test bed of e2e/nat): the built-in STUN server
 * (`--stun-port`), `--ice-servers`, TURN credentials (`--turn-secret`, `--turn-url`) for coturn,
 * and `peerconnect.stats().candidatePairs`, the candidate types each connection ICE chose.
 * Every server here listens on 198.18.0.4 (the worker's `bedServer` has 198.18.0.1 and its
 * STUN port), on its own HTTP port.
 */

const HOST = SECOND_SERVER_IP;
const DEFAULT_STUN_PORT = 3478;
/** Share of the page's asset bytes a second visitor must get from a reachable seeder. */
const MIN_PEER_SHARE = 0.95;
/** ICE through the NATs, then the page: 1.5 s measured for srflx; generous on a loaded box. */
const P2P_PAGE_BUDGET_MS = 15_000;
/** A seeder nobody can reach costs its connect and first-chunk deadlines, then the origin. */
const FALLBACK_PAGE_BUDGET_MS = 25_000;
/**
 * B's page with an unreachable seeder against B alone (bench goal: 1.25x + 300 ms). Generous,
 * for a loaded CI box, but a visitor who waits out the connect and first-chunk deadlines (the
 * 7 s of the issue, against 1.5–2 s alone) fails it.
 */
const UNREACHABLE_SEEDER_FACTOR = 2;
const UNREACHABLE_SEEDER_SLACK_MS = 1000;

let nextPort = 8100;
/** A fresh HTTP port per server: visitors' secure-origin flags name the exact origin. */
function port(): number {
  return nextPort++;
}

test.describe('real networks: peer to peer across NAT routers', () => {
  test('serve answers STUN on 3478 by default and on --stun-port: the router’s public address', async ({
    netbed,
    serveInBed,
  }) => {
    const byDefault = await serveInBed({ host: HOST, port: port() });
    const custom = await serveInBed({ host: HOST, port: port(), args: ['--stun-port', '3490'] });
    for (const home of [netbed.home('cone1'), netbed.home('sym1')]) {
      const report = await stunProbe(home.hostNs, [
        { ip: HOST, port: DEFAULT_STUN_PORT },
        { ip: HOST, port: 3490 },
      ]);
      for (const answer of report.answers) {
        expect(answer.mapped?.ip, `${home.name} → ${answer.target.port}`).toBe(home.publicIp);
      }
      if (home.nat === 'full-cone') expect(report.answers[0]?.mapped?.port).toBe(report.local.port);
    }
    expect(byDefault.process.exitCode).toBeNull();
    expect(custom.process.exitCode).toBeNull();
  });

  test('two visitors behind full-cone NATs: B gets ≥ 95 % of the page from A over server-reflexive candidates, byte-exact', async ({
    serveInBed,
    visitorIn,
  }, testInfo) => {
    const server = await serveInBed({ host: HOST, port: port() });
    const a = await visitorIn('cone1', server);
    await instrumentPeerConnections(a.context);
    await seedPage(a);
    const b = await visitorIn('cone2', server);
    await instrumentPeerConnections(b.context);

    const visit = await measuredFirstVisit(b, server);
    testInfo.annotations.push({
      type: 'second visitor',
      description: `${visit.pageMs} ms, ${visit.originBytes} of ${visit.totalBytes} asset bytes from the origin`,
    });
    expect(visit.pageMs).toBeLessThan(P2P_PAGE_BUDGET_MS);
    expect(visit.originBytes).toBeLessThanOrEqual((1 - MIN_PEER_SHARE) * visit.totalBytes);
    expect((await stats(b.page)).bytesFromPeers).toBeGreaterThanOrEqual(
      MIN_PEER_SHARE * visit.totalBytes,
    );
    await expectSameBytesAsOrigin(b, server, visit.assets);

    // The server's own STUN reached the browsers, and the pair went through both NATs.
    const urls = (await iceServersSeen(b.page)).map((entry) => entry.url);
    expect(urls).toContain(`stun:${HOST}:${DEFAULT_STUN_PORT}`);
    await expect.poll(() => candidatePairs(b.page)).not.toEqual([]);
    const pairs = await candidatePairs(b.page);
    testInfo.annotations.push({ type: 'candidate pairs', description: pairs.join(', ') });
    expect(pairs.some((pair) => pairHas(pair, 'srflx') || pairHas(pair, 'prflx'))).toBe(true);
    expect(pairs.filter((pair) => pairHas(pair, 'relay'))).toEqual([]);
    expect(b.consoleErrors).toEqual([]);
  });

  test('two visitors behind symmetric NATs, no TURN: B’s page completes from the origin', async ({
    serveInBed,
    visitorIn,
  }, testInfo) => {
    // The same page with nobody in the swarm, in this run: what an unreachable seeder is held to.
    const lonely = await serveInBed({ host: HOST, port: port(), args: ['--stun-port', '3491'] });
    const alone = await measuredFirstVisit(await visitorIn('sym2', lonely), lonely);

    const server = await serveInBed({ host: HOST, port: port() });
    const a = await visitorIn('sym1', server);
    await seedPage(a);
    const b = await visitorIn('sym2', server);

    const visit = await measuredFirstVisit(b, server);
    testInfo.annotations.push({
      type: 'second visitor',
      description: `${visit.pageMs} ms against ${alone.pageMs} ms alone`,
    });
    expect(visit.pageMs).toBeLessThan(FALLBACK_PAGE_BUDGET_MS);
    // The goal is 1.25x (+300 ms), which npm run bench -- nat measures; CI allows a loaded box.
    expect(visit.pageMs).toBeLessThan(
      UNREACHABLE_SEEDER_FACTOR * alone.pageMs + UNREACHABLE_SEEDER_SLACK_MS,
    );
    const served = await waitForServed(b.page, visit.assets);
    for (const path of visit.assets) expect(served.get(path)?.source, path).toBe('origin');
    expect(visit.originBytes).toBeGreaterThanOrEqual(visit.totalBytes);
    expect((await stats(b.page)).bytesFromPeers).toBe(0);
    await expectSameBytesAsOrigin(b, server, visit.assets);
  });

  test('two visitors behind symmetric NATs with coturn and --turn-secret: B gets the page from A over a relay', async ({
    serveInBed,
    visitorIn,
    turn,
  }, testInfo) => {
    const server = await serveInBed({
      host: HOST,
      port: port(),
      args: ['--turn-secret', turn.secret, '--turn-url', turn.turnUrl],
    });
    const a = await visitorIn('sym1', server);
    await instrumentPeerConnections(a.context);
    await seedPage(a);
    const b = await visitorIn('sym2', server);
    await instrumentPeerConnections(b.context);

    const visit = await measuredFirstVisit(b, server);
    testInfo.annotations.push({
      type: 'second visitor',
      description: `${visit.pageMs} ms, ${visit.originBytes} of ${visit.totalBytes} asset bytes from the origin`,
    });
    expect(visit.originBytes).toBeLessThanOrEqual((1 - MIN_PEER_SHARE) * visit.totalBytes);
    await expectSameBytesAsOrigin(b, server, visit.assets);

    // coturn REST credentials: `<expiry>:<id>` for the configured URL.
    const turnEntries = (await iceServersSeen(b.page)).filter((s) => s.url === turn.turnUrl);
    expect(turnEntries.length).toBeGreaterThan(0);
    expect(turnEntries[0]?.username).toMatch(/^\d+:/);
    expect(turnEntries[0]?.credential).toBeTruthy();
    await expect.poll(() => candidatePairs(b.page)).not.toEqual([]);
    const pairs = await candidatePairs(b.page);
    testInfo.annotations.push({ type: 'candidate pairs', description: pairs.join(', ') });
    expect(pairs.some((pair) => pairHas(pair, 'relay'))).toBe(true);
    expect(b.consoleErrors).toEqual([]);
  });

  test('--ice-servers urls reach the browser and carry the connection (full-cone, coturn STUN)', async ({
    serveInBed,
    visitorIn,
    turn,
  }) => {
    const urls = [turn.stunUrl, `stun:${TURN_ALT_IP}:${turn.port}`];
    const server = await serveInBed({
      host: HOST,
      port: port(),
      args: ['--ice-servers', urls.join(',')],
    });
    const a = await visitorIn('cone1', server);
    await instrumentPeerConnections(a.context);
    await seedPage(a);
    const b = await visitorIn('cone2', server);
    await instrumentPeerConnections(b.context);

    const visit = await measuredFirstVisit(b, server);
    expect(visit.originBytes).toBeLessThanOrEqual((1 - MIN_PEER_SHARE) * visit.totalBytes);
    for (const visitor of [a, b]) {
      const seen = (await iceServersSeen(visitor.page)).map((s) => s.url);
      expect(seen).toEqual(expect.arrayContaining(urls));
    }
  });

  test('--ice-servers from a JSON file, with TURN credentials: symmetric visitors connect over the relay', async ({
    netbed,
    serveInBed,
    visitorIn,
    turn,
  }) => {
    const { username, credential } = turn.credentials('nat-p2p');
    const file = join(netbed.dir, `ice-servers-${Date.now()}.json`);
    await writeFile(file, JSON.stringify([{ urls: [turn.turnUrl], username, credential }]));
    const server = await serveInBed({ host: HOST, port: port(), args: ['--ice-servers', file] });
    const a = await visitorIn('sym1', server);
    await instrumentPeerConnections(a.context);
    await seedPage(a);
    const b = await visitorIn('sym2', server);
    await instrumentPeerConnections(b.context);

    const visit = await measuredFirstVisit(b, server);
    expect(visit.originBytes).toBeLessThanOrEqual((1 - MIN_PEER_SHARE) * visit.totalBytes);
    expect(await iceServersSeen(b.page)).toContainEqual({
      url: turn.turnUrl,
      username,
      credential,
    });
    await expect.poll(() => candidatePairs(b.page)).not.toEqual([]);
    expect((await candidatePairs(b.page)).some((pair) => pairHas(pair, 'relay'))).toBe(true);
  });
});
