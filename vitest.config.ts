import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{protocol,sw,page,signaling,cli,bench}/**/*.test.ts'],
    environment: 'node',
    testTimeout: 15_000,
  },
});
