import { describe, expect, it } from 'vitest';
import { CI_RUN } from './fuzz-config.js';
import { runFuzz } from './fuzz-run.js';
import { randomSeed } from './prng.js';
import { printReport } from './report.js';

// The CI slice of `npm run fuzz:signal`: ~10,000 frames against a real server process (heap
// and RSS capped, with a deadline), in about 20 s. A fresh seed each run, printed on failure.

/** Generous: the run takes ~20 s alone; CI runs other test files beside it on two cores. */
const TEST_TIMEOUT_MS = 90_000;
const SEED = process.env.FUZZ_SEED === undefined ? randomSeed() : Number(process.env.FUZZ_SEED);

describe('signaling fuzz (CI slice)', () => {
  it(
    `keeps the server up, fast, correct and lean through ${CI_RUN.frames} hostile frames`,
    async () => {
      console.log(`signaling fuzz: seed ${SEED} (FUZZ_SEED=${SEED} repeats it)`);
      const report = await runFuzz({ ...CI_RUN, seed: SEED });
      if (report.failures.length > 0) printReport(report);
      expect(report.failures, `seed ${SEED}: FUZZ_SEED=${SEED} repeats it`).toEqual([]);
      expect(report.frames.total).toBeGreaterThanOrEqual(CI_RUN.frames);
      for (const [kind, n] of Object.entries(report.frames.byKind)) {
        expect(n, `${kind} frames`).toBeGreaterThan(0);
      }
      expect(report.observer?.watch.rounds).toBeGreaterThan(0);
    },
    TEST_TIMEOUT_MS,
  );
});
