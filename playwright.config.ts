import { defineConfig } from '@playwright/test';
import { CHROMIUM_LAUNCH } from './e2e/browser.js';
import { SW_BLOCKED } from './e2e/tags.js';

/**
 * End-to-end tests: real `peerconnect serve` processes (see e2e/fixtures.ts) and several
 * browser contexts, each one a separate visitor, in Debian's Chromium (see CHROMIUM_LAUNCH).
 */

const CI = Boolean(process.env.CI);
const TEST_TIMEOUT_MS = 60_000;
const EXPECT_TIMEOUT_MS = 10_000;
/** CI's whole run (install, typecheck, lint, unit, build, e2e) must stay under 20 minutes. */
const CI_GLOBAL_TIMEOUT_MS = 12 * 60_000;

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  // Two cores, and WebRTC between contexts is CPU-bound: parallel workers only add flakiness.
  workers: 1,
  fullyParallel: false,
  forbidOnly: CI,
  retries: CI ? 1 : 0,
  timeout: TEST_TIMEOUT_MS,
  expect: { timeout: EXPECT_TIMEOUT_MS },
  globalTimeout: CI ? CI_GLOBAL_TIMEOUT_MS : 0,
  // Not the default `test-results/`: Playwright empties its outputDir at start, and CI keeps
  // the unit-test report there.
  outputDir: 'test-results/e2e-artifacts',
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e.json' }]],
  use: {
    browserName: 'chromium',
    headless: CHROMIUM_LAUNCH.headless,
    launchOptions: CHROMIUM_LAUNCH,
    trace: 'on-first-retry',
  },
  projects: [
    { name: 'p2p', use: { serviceWorkers: 'allow' } },
    // Only tests tagged SW_BLOCKED: the site must still work as a plain website.
    { name: 'sw-blocked', grep: new RegExp(SW_BLOCKED), use: { serviceWorkers: 'block' } },
  ],
});
