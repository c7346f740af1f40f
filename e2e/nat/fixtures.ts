import { test as base, type TestInfo } from '@playwright/test';
import {
  type Availability,
  checkNetbedAvailable,
  createNetbed,
  type Home,
  type HomeSpec,
  type Netbed,
  startCoturn,
  type TurnServer,
} from '../../testing/netbed/index.js';
import { copyDemo, removeDir } from '../server-process.js';
import { type BedServer, type BedServerOptions, startBedServer } from './bed-server.js';
import { type HomeVisitor, type HomeVisitorOptions, launchHomeVisitor } from './home-visitor.js';

/**
 * The API of specs on real networks (e2e/nat*.spec.ts): `test` with the fixtures below,
 * `expect`, and the helpers of e2e/fixtures.ts.
 *
 * Worker-scoped, built once per Playwright worker and shared by its tests:
 * - `netbed`: the namespaces (see testing/netbed): homes `cone1`, `cone2` behind full-cone NAT
 *   routers, `sym1`, `sym2` behind symmetric ones, the public side 198.18.0.0/24.
 * - `bedServer`: `peerconnect serve` of a private demo copy at http://198.18.0.1:8080 with
 *   today's default options. Its counters accumulate across tests: measure deltas.
 * - `turn`: coturn at 198.18.0.2:3479 (and 198.18.0.3, RFC 5780), `use-auth-secret`.
 * Test-scoped:
 * - `serveInBed(options)`: one more `peerconnect serve` (its own demo copy, e.g. with extra
 *   options), stopped when the test ends. Give each a port other than 8080.
 * - `visitorIn(home, server)`: a fresh visitor with its own Chromium inside a home network,
 *   opening `server` (baseURL); closed when the test ends.
 * Every test skips, with the reason, where a bed cannot be built (not root, no `ip netns`), or
 * when PEERCONNECT_NETBED=0.
 */

export { expect } from '@playwright/test';
export * from '../fixtures.js';
export type { BedServer } from './bed-server.js';
export type { HomeVisitor } from './home-visitor.js';

export const BED_HOMES: readonly HomeSpec[] = [
  { name: 'cone1', nat: 'full-cone' },
  { name: 'cone2', nat: 'full-cone' },
  { name: 'sym1', nat: 'symmetric' },
  { name: 'sym2', nat: 'symmetric' },
];
export const BED_SERVER_PORT = 8080;

/** Building takes a second or two; tearing down waits for processes to end. */
const NETBED_FIXTURE_TIMEOUT_MS = 60_000;
const SERVER_FIXTURE_TIMEOUT_MS = 60_000;

interface WorkerFixtures {
  netbedAvailability: Availability;
  netbed: Netbed;
  bedServer: BedServer;
  turn: TurnServer;
  /** The worker's servers (`bedServer`), for logs on failure and exit checks. */
  bedServers: Set<BedServer>;
}

interface TestFixtures {
  skipWithoutNetbed: undefined;
  serveInBed: (options: Omit<BedServerOptions, 'host'> & { host?: string }) => Promise<BedServer>;
  visitorIn: (
    home: Home | string,
    server: BedServer,
    options?: Partial<HomeVisitorOptions>,
  ) => Promise<HomeVisitor>;
  bedLogsOnFailure: undefined;
}

function exitDescription(server: BedServer): string | null {
  const { exitCode, signalCode } = server.process;
  if (exitCode === null && signalCode === null) return null;
  return `peerconnect serve (${server.publicUrl}) exited during the tests (code ${exitCode}, signal ${signalCode})`;
}

function attachLog(testInfo: TestInfo, server: BedServer): Promise<void> {
  return testInfo.attach(`peerconnect-serve-${server.port}.log`, {
    body: server.log(),
    contentType: 'text/plain',
  });
}

async function serveDemo(
  bed: Netbed,
  servers: Set<BedServer>,
  options: BedServerOptions,
  use: (server: BedServer) => Promise<void>,
): Promise<void> {
  const siteDir = await copyDemo();
  try {
    const server = await startBedServer(bed, siteDir, options);
    servers.add(server);
    try {
      await use(server);
    } finally {
      servers.delete(server);
      await server.stop();
    }
  } finally {
    await removeDir(siteDir);
  }
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  netbedAvailability: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern
    async ({}, use) => {
      if (process.env.PEERCONNECT_NETBED === '0') {
        await use({ ok: false, reason: 'PEERCONNECT_NETBED=0' });
        return;
      }
      await use(await checkNetbedAvailable());
    },
    { scope: 'worker' },
  ],

  netbed: [
    async ({ netbedAvailability }, use) => {
      if (!netbedAvailability.ok) throw new Error(`no test bed: ${netbedAvailability.reason}`);
      const bed = await createNetbed({ homes: BED_HOMES });
      try {
        await use(bed);
      } finally {
        await bed.destroy();
      }
    },
    { scope: 'worker', timeout: NETBED_FIXTURE_TIMEOUT_MS },
  ],

  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern
  bedServers: [async ({}, use) => use(new Set()), { scope: 'worker' }],

  bedServer: [
    async ({ netbed, bedServers }, use) => {
      let exited: string | null = null;
      await serveDemo(netbed, bedServers, { port: BED_SERVER_PORT }, async (server) => {
        await use(server);
        exited = exitDescription(server);
      });
      if (exited) throw new Error(exited);
    },
    { scope: 'worker', timeout: SERVER_FIXTURE_TIMEOUT_MS },
  ],

  turn: [
    async ({ netbed }, use) => {
      const turn = await startCoturn(netbed);
      try {
        await use(turn);
      } finally {
        await turn.stop();
      }
    },
    { scope: 'worker' },
  ],

  // Auto fixtures are set up first: a test skips here before it asks for the bed.
  skipWithoutNetbed: [
    async ({ netbedAvailability }, use, testInfo) => {
      testInfo.skip(
        !netbedAvailability.ok,
        `real-network tests need a test bed of network namespaces: ${
          netbedAvailability.ok ? '' : netbedAvailability.reason
        }`,
      );
      await use(undefined);
    },
    { auto: true },
  ],

  serveInBed: async ({ netbed }, use, testInfo) => {
    const started: { server: BedServer; siteDir: string }[] = [];
    // `use` returns when the test ends, failed or not: the teardown below always runs.
    await use(async (options) => {
      const siteDir = await copyDemo();
      try {
        const server = await startBedServer(netbed, siteDir, options);
        started.push({ server, siteDir });
        return server;
      } catch (err) {
        await removeDir(siteDir);
        throw err;
      }
    });
    const exited = started.map(({ server }) => exitDescription(server));
    if (testInfo.status !== testInfo.expectedStatus) {
      for (const { server } of started) await attachLog(testInfo, server);
    }
    for (const { server, siteDir } of started) {
      await server.stop();
      await removeDir(siteDir);
    }
    const died = exited.filter((text) => text !== null);
    if (died.length > 0) throw new Error(died.join('\n'));
  },

  visitorIn: async ({ netbed, playwright }, use) => {
    const visitors: HomeVisitor[] = [];
    try {
      await use(async (home, server, options = {}) => {
        const visitor = await launchHomeVisitor(
          playwright.chromium,
          typeof home === 'string' ? netbed.home(home) : home,
          { secureOrigins: [server.publicUrl], ...options },
        );
        visitors.push(visitor);
        return visitor;
      });
    } finally {
      await Promise.all(visitors.map((visitor) => visitor.browser.close()));
    }
  },

  // A failing test gets the output of the worker's server attached; a server that died fails it.
  // (serveInBed does the same for the servers of the test.)
  bedLogsOnFailure: [
    async ({ bedServers }, use, testInfo) => {
      await use(undefined);
      const servers = [...bedServers];
      if (testInfo.status !== testInfo.expectedStatus) {
        for (const server of servers) await attachLog(testInfo, server);
      }
      const exited = servers.map(exitDescription).filter((text) => text !== null);
      if (exited.length > 0) throw new Error(exited.join('\n'));
    },
    { auto: true },
  ],
});
