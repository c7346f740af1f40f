import { SECOND_SERVER_IP, SERVER_IP } from '../testing/netbed/index.js';
import { expect, metricValue, test } from './nat/fixtures.js';
import { expectSameBytesAsOrigin, measuredFirstVisit } from './nat/peers.js';
import { startBedNginx, startBedRedis } from './nat/scale-out.js';
import { seedPage, signalConnections, stats, waitForServed } from './swarm.js';

/**
 * Issue 11's scale-out: two `peerconnect serve --redis` nodes (one Redis) behind one nginx, in
 * the NAT test bed. nginx routes by $remote_addr, and each home's router has its own public
 * address, so visitor A (cone1) lands on node 1 and B (cone2) on node 2 for every request,
 * its WebSocket included: B finds A only through Redis, and gets the page from A.
 */

const REDIS_PORT = 6390;
const NGINX_PORT = 8200;
const NODE_PORTS = [8201, 8202] as const;
/** Node 1 answers STUN for both (full-cone NATs need a reflexive address). */
const STUN_PORT = 3478;
/** Share of the page's asset bytes B must get from A. */
const MIN_PEER_SHARE = 0.95;
/** ICE through the NATs, then the page: generous on a loaded box. */
const P2P_PAGE_BUDGET_MS = 20_000;

const healthz = (node: { url: string }) =>
  fetch(`${node.url}/peerconnect/healthz`).then((r) => r.text(), String);

test.describe('scale-out: serve --redis nodes behind nginx', () => {
  test('visitor A on node 1, B on node 2: B gets the page from A, byte-exact', async ({
    netbed,
    serveInBed,
    visitorIn,
  }, testInfo) => {
    const redis = await startBedRedis(netbed, SECOND_SERVER_IP, REDIS_PORT);
    try {
      const nodes = await Promise.all(
        NODE_PORTS.map((port, i) =>
          serveInBed({
            host: SECOND_SERVER_IP,
            port,
            args: [
              '--redis',
              `redis://${SECOND_SERVER_IP}:${REDIS_PORT}`,
              '--trust-proxy',
              '198.18.0.0/28',
              '--stun-port',
              i === 0 ? String(STUN_PORT) : '0',
              '--ice-servers',
              `stun:${SECOND_SERVER_IP}:${STUN_PORT}`,
            ],
          }),
        ),
      );
      const [one, two] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
      const lb = await startBedNginx(
        netbed,
        {
          listen: { host: SERVER_IP, port: NGINX_PORT },
          nodes: NODE_PORTS.map((port) => `${SECOND_SERVER_IP}:${port}`),
          pinned: new Map([[netbed.home('cone1').publicIp, 0]]),
        },
        nodes,
      );
      try {
        for (const node of nodes) {
          await expect
            .poll(() => metricValue(node, 'peerconnect_signal_redis_up'), {
              message: `${node.publicUrl} reaches Redis: ${await healthz(node)}`,
            })
            .toBe(1);
        }
        const a = await visitorIn('cone1', lb);
        await seedPage(a);
        await expect.poll(() => signalConnections(one)).toBe(1);
        expect(await signalConnections(two)).toBe(0);

        const b = await visitorIn('cone2', lb);
        // Node 2 serves every request of B's, so its counter is B's origin bytes exactly.
        const visit = await measuredFirstVisit(b, two);
        testInfo.annotations.push({
          type: 'second visitor',
          description: `${visit.pageMs} ms, ${visit.originBytes} of ${visit.totalBytes} asset bytes from the origins`,
        });
        expect(await signalConnections(two)).toBe(1);
        expect(await signalConnections(one)).toBe(1);
        expect(await metricValue(two, 'peerconnect_signal_redis_remote_peers')).toBe(1);
        const served = await waitForServed(b.page, visit.assets);
        testInfo.annotations.push({
          type: 'sources',
          description: [...served].map(([path, s]) => `${path}: ${s.source}`).join(', '),
        });
        expect(visit.pageMs).toBeLessThan(P2P_PAGE_BUDGET_MS);
        expect(visit.originBytes).toBeLessThanOrEqual((1 - MIN_PEER_SHARE) * visit.totalBytes);
        expect((await stats(b.page)).bytesFromPeers).toBeGreaterThanOrEqual(
          MIN_PEER_SHARE * visit.totalBytes,
        );
        await expectSameBytesAsOrigin(b, lb, visit.assets);
        expect(b.consoleErrors).toEqual([]);
      } finally {
        await lb.stop();
      }
    } finally {
      await redis.stop();
    }
  });
});
