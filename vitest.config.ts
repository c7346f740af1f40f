import { defineConfig } from 'vitest/config';

/** Under CI, a JSON report beside Playwright's, which .ci/count.mjs reads. */
const CI_REPORT = 'test-results/unit.json';

export default defineConfig({
  test: {
    include: [
      '{protocol,site,origin,signaling,server,cli,store,sw,page,testing,bench,fuzz}/**/*.test.ts',
    ],
    environment: 'node',
    testTimeout: 15_000,
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    ...(process.env.CI ? { outputFile: { json: CI_REPORT } } : {}),
  },
});
