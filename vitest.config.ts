import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      '{protocol,site,origin,signaling,server,cli,store,sw,page,testing,bench}/**/*.test.ts',
    ],
    environment: 'node',
    testTimeout: 15_000,
  },
});
