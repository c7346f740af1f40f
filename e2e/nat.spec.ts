import { PATHS } from '../protocol/index.js';
import { NAT_KINDS, stunProbe, TURN_ALT_IP, TURN_IP } from '../testing/netbed/index.js';
import {
  allImagesDecoded,
  controllerScript,
  expect,
  gotoSitePage,
  originAssetBytes,
  test,
  waitForController,
} from './nat/fixtures.js';
import {
  expectSameBytesAsOrigin,
  instrumentPeerConnections,
  measuredFirstVisit,
  pairHas,
  peerConnections,
} from './nat/peers.js';
import { seedPage, signalConnections, stats } from './swarm.js';

/**
 * The test bed itself, on today's product: visitors behind real NAT routers (Linux network
 * namespaces, see testing/netbed) load the demo from `peerconnect serve` at 198.18.0.1, and a
 * STUN server on the public side sees each kind of NAT behave as its name says.
 */

const GALLERY_MIN_IMAGES = 12;
/** An address of TEST-NET-1 (RFC 5737): nothing in the bed may have a route to it. */
const OUTSIDE_ADDRESS = '192.0.2.1';
/** Share of the page's asset bytes a second visitor must get from a reachable seeder. */
const MIN_PEER_SHARE = 0.95;

test.describe('real networks: the test bed', () => {
  for (const nat of NAT_KINDS) {
    test(`a visitor behind a ${nat} NAT loads the demo from 198.18.0.1 under the service worker`, async ({
      netbed,
      bedServer,
      visitorIn,
    }, testInfo) => {
      const home = netbed.homes.find((candidate) => candidate.nat === nat)!;
      const visitor = await visitorIn(home, bedServer);
      const before = await originAssetBytes(bedServer);
      const started = Date.now();
      await gotoSitePage(visitor.page, '/');
      const loadMs = Date.now() - started;
      testInfo.annotations.push({ type: 'first page view', description: `${loadMs} ms` });

      const report = await allImagesDecoded(visitor.page);
      expect(report.count).toBeGreaterThanOrEqual(GALLERY_MIN_IMAGES);
      expect(report.undecoded).toEqual([]);
      expect(new URL(await waitForController(visitor.page)).pathname).toBe(PATHS.serviceWorker);
      // The bytes really crossed the NAT to the origin, and so does the signaling WebSocket.
      expect(await originAssetBytes(bedServer)).toBeGreaterThan(before);
      await expect.poll(() => signalConnections(bedServer)).toBeGreaterThanOrEqual(1);

      // A second view is the worker's from the start.
      await gotoSitePage(visitor.page, '/about.html');
      expect(await controllerScript(visitor.page)).not.toBeNull();
      expect((await allImagesDecoded(visitor.page)).undecoded).toEqual([]);
      expect(visitor.consoleErrors).toEqual([]);
    });
  }

  test('STUN through a full-cone NAT: the router’s address, one port for every destination, unsolicited answers get in', async ({
    netbed,
    turn,
  }, testInfo) => {
    const home = netbed.home('cone1');
    const report = await stunProbe(home.hostNs, [
      { ip: TURN_IP, port: turn.port },
      { ip: TURN_ALT_IP, port: turn.port },
      { ip: TURN_IP, port: turn.port, changeIpAndPort: true },
    ]);
    testInfo.annotations.push({ type: 'stun', description: JSON.stringify(report) });
    const [first, second, changed] = report.answers;
    expect(first?.mapped?.ip).toBe(home.publicIp);
    expect(second?.mapped).toEqual(first?.mapped);
    // MASQUERADE kept the host's port; the DNAT rule lets the other address's answer in.
    expect(first?.mapped?.port).toBe(report.local.port);
    expect(changed?.from).toEqual({ ip: TURN_ALT_IP, port: turn.altPort });
    expect(changed?.mapped).toEqual(first?.mapped);
  });

  test('STUN through a symmetric NAT: the router’s address, a new port per destination, unsolicited answers dropped', async ({
    netbed,
    turn,
  }, testInfo) => {
    const home = netbed.home('sym1');
    const report = await stunProbe(
      home.hostNs,
      [
        { ip: TURN_IP, port: turn.port },
        { ip: TURN_ALT_IP, port: turn.port },
        { ip: TURN_IP, port: turn.port, changeIpAndPort: true },
      ],
      { answerTimeoutMs: 1_000 },
    );
    testInfo.annotations.push({ type: 'stun', description: JSON.stringify(report) });
    const [first, second, changed] = report.answers;
    expect(first?.mapped?.ip).toBe(home.publicIp);
    expect(second?.mapped?.ip).toBe(home.publicIp);
    expect(second?.mapped?.port).not.toBe(first?.mapped?.port);
    expect(changed?.mapped).toBeNull();
  });

  // The product does not configure STUN/TURN yet: the test hands the browsers coturn, so these
  // prove that the bed carries WebRTC through its NATs as real networks do.
  test('WebRTC through two full-cone NATs with STUN: B gets the page from A over reflexive candidates', async ({
    bedServer,
    visitorIn,
    turn,
  }, testInfo) => {
    const ice: RTCIceServer[] = [{ urls: turn.stunUrl }];
    const a = await visitorIn('cone1', bedServer);
    await instrumentPeerConnections(a.context, ice);
    await seedPage(a);
    const b = await visitorIn('cone2', bedServer);
    await instrumentPeerConnections(b.context, ice);

    const visit = await measuredFirstVisit(b, bedServer);
    const { selectedPairs } = await peerConnections(b.page);
    testInfo.annotations.push({
      type: 'second visitor',
      description: `${visit.pageMs} ms, ${visit.originBytes} of ${visit.totalBytes} asset bytes from the origin, pairs ${selectedPairs.join(', ')}`,
    });
    expect(visit.originBytes).toBeLessThanOrEqual((1 - MIN_PEER_SHARE) * visit.totalBytes);
    expect((await stats(b.page)).bytesFromPeers).toBeGreaterThanOrEqual(
      MIN_PEER_SHARE * visit.totalBytes,
    );
    expect(selectedPairs.some((pair) => pairHas(pair, 'srflx') || pairHas(pair, 'prflx'))).toBe(
      true,
    );
    expect(selectedPairs.filter((pair) => pairHas(pair, 'relay'))).toEqual([]);
    await expectSameBytesAsOrigin(b, bedServer, visit.assets);
  });

  test('WebRTC through two symmetric NATs with TURN: B gets the page from A over coturn’s relay', async ({
    bedServer,
    visitorIn,
    turn,
  }, testInfo) => {
    const ice: RTCIceServer[] = [{ urls: turn.turnUrl, ...turn.credentials('bed') }];
    const a = await visitorIn('sym1', bedServer);
    await instrumentPeerConnections(a.context, ice);
    await seedPage(a);
    const b = await visitorIn('sym2', bedServer);
    await instrumentPeerConnections(b.context, ice);

    const visit = await measuredFirstVisit(b, bedServer);
    const { selectedPairs } = await peerConnections(b.page);
    testInfo.annotations.push({
      type: 'second visitor',
      description: `${visit.pageMs} ms, ${visit.originBytes} of ${visit.totalBytes} asset bytes from the origin, pairs ${selectedPairs.join(', ')}`,
    });
    expect(visit.originBytes).toBeLessThanOrEqual((1 - MIN_PEER_SHARE) * visit.totalBytes);
    expect(selectedPairs.some((pair) => pairHas(pair, 'relay'))).toBe(true);
    await expectSameBytesAsOrigin(b, bedServer, visit.assets);
  });

  test('nothing leaves the bed: no namespace has a route beyond 198.18.0.0/24 and its own LAN', async ({
    netbed,
  }) => {
    // `ip route get` asks the routing table; it sends no packet.
    const routers = netbed.homes.map((home) => home.routerNs);
    for (const ns of [netbed.publicNs, ...routers]) {
      await expect(netbed.exec(ns, ['ip', 'route', 'get', OUTSIDE_ADDRESS]), ns).rejects.toThrow(
        /unreachable/i,
      );
    }
    // A host's default route ends at its router, which has none.
    const home = netbed.home('cone1');
    const { stdout } = await netbed.exec(home.hostNs, ['ip', 'route', 'get', OUTSIDE_ADDRESS]);
    expect(stdout).toContain(`via ${home.routerLanIp}`);
    // And one home cannot reach into another's LAN (only its router's public address).
    const other = netbed.home('cone2');
    await expect(netbed.exec(home.routerNs, ['ip', 'route', 'get', other.hostIp])).rejects.toThrow(
      /unreachable/i,
    );
  });
});
