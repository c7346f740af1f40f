import {
  type BrowserContext,
  type BrowserContextOptions,
  test as base,
  type Page,
} from '@playwright/test';
import { collectConsoleErrors, newContext } from './browser.js';
import { copyDemo, removeDir, type ServerProcess, startServerProcess } from './server-process.js';

/**
 * The e2e test API: `test` with the fixtures below, `expect`, and every helper, so a spec
 * imports from this one module.
 *
 * - `server` (worker): a real `peerconnect serve` of a private copy of examples/demo, shared
 *   by the tests of one worker; `baseURL` points at it, so `page.goto('/')` works. Its
 *   counters accumulate across tests: measure deltas.
 * - `consoleErrors`: console errors and uncaught exceptions of the default `context`.
 * - `swBlocked`: whether this project blocks service workers (tests tagged SW_BLOCKED run in
 *   both projects and branch on it).
 * - `newVisitor()`: one more isolated visitor (context + page + its console errors), closed
 *   when the test ends.
 */

export { expect } from '@playwright/test';
export * from './browser.js';
export * from './bytes.js';
export * from './server-process.js';
export { SW_BLOCKED } from './tags.js';

export interface Visitor {
  context: BrowserContext;
  page: Page;
  consoleErrors: string[];
}

interface TestFixtures {
  consoleErrors: string[];
  swBlocked: boolean;
  newVisitor: (options?: BrowserContextOptions) => Promise<Visitor>;
  serverLogOnFailure: undefined;
}

interface WorkerFixtures {
  server: ServerProcess;
}

/** Copying the demo and building its manifest, plus stopping it afterwards. */
const SERVER_FIXTURE_TIMEOUT_MS = 60_000;

function exitDescription(server: ServerProcess): string | null {
  const { exitCode, signalCode } = server.process;
  if (exitCode === null && signalCode === null) return null;
  return `peerconnect serve exited during the tests (code ${exitCode}, signal ${signalCode})`;
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  server: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern
    async ({}, use) => {
      const siteDir = await copyDemo();
      try {
        const server = await startServerProcess(siteDir);
        await use(server);
        const exited = exitDescription(server);
        await server.stop();
        if (exited) throw new Error(`${exited}\n--- output ---\n${server.log()}`);
      } finally {
        await removeDir(siteDir);
      }
    },
    { scope: 'worker', timeout: SERVER_FIXTURE_TIMEOUT_MS },
  ],

  baseURL: async ({ server }, use) => {
    await use(server.url);
  },

  consoleErrors: async ({ context }, use) => {
    await use(collectConsoleErrors(context));
  },

  swBlocked: async ({ serviceWorkers }, use) => {
    await use(serviceWorkers === 'block');
  },

  newVisitor: async ({ browser }, use) => {
    const contexts: BrowserContext[] = [];
    await use(async (options) => {
      const context = await newContext(browser, options);
      contexts.push(context);
      const consoleErrors = collectConsoleErrors(context);
      return { context, page: await context.newPage(), consoleErrors };
    });
    await Promise.all(contexts.map((context) => context.close()));
  },

  // A failing test gets the server's output attached; a server that died fails the test.
  serverLogOnFailure: [
    async ({ server }, use, testInfo) => {
      await use(undefined);
      if (testInfo.status !== testInfo.expectedStatus) {
        await testInfo.attach('peerconnect-serve.log', {
          body: server.log(),
          contentType: 'text/plain',
        });
      }
      const exited = exitDescription(server);
      if (exited) throw new Error(exited);
    },
    { auto: true },
  ],
});
