import { describe, expect, it } from 'vitest';
import { runSignalBench } from './bench.js';
import { noErrors } from './ipc.js';

// A short run of `npm run bench:signal` for CI: the bench still works end to end, and the
// server holds its peers and relays every message. Bounds are loose: the machine is shared.

const SMOKE = { peers: 2_000, processes: 2, rate: 400, seconds: 3, rampSeconds: 20 };
const SMOKE_TIMEOUT_MS = 90_000;

describe('bench:signal smoke', () => {
  it(
    'holds 2,000 joined peers from distinct addresses and relays every exchange',
    async () => {
      const { peerconnect: run } = await runSignalBench(SMOKE, false);
      expect(run.errors).toEqual(noErrors());
      expect(run.peak).toBe(SMOKE.peers);
      expect(run.serverConnections).toBe(SMOKE.peers);
      expect(run.pairs).toBe(SMOKE.peers / 2);
      expect(run.relay.joinedAtEnd).toBe(SMOKE.peers);
      expect(run.relay.delivered).toBe(run.relay.sent);
      // At least half the asked rate, whatever else the machine is doing.
      expect(run.relay.messagesPerSecond).toBeGreaterThan(SMOKE.rate / 2);
      expect(run.relay.p99Ms).toBeLessThan(5_000);
      expect(run.rssPeakBytes).toBeGreaterThan(0);
    },
    SMOKE_TIMEOUT_MS,
  );
});
