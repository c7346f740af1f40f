import { parseArgs } from 'node:util';
import { CI_RUN, FULL_RUN } from './fuzz-config.js';
import { runFuzz } from './fuzz-run.js';
import { randomSeed } from './prng.js';
import { printReport, writeReport } from './report.js';

// `npm run fuzz:signal [-- --seed N] [--frames N] [--rate N] [--ci]`: a full run, a table on
// stdout, the JSON under fuzz/results/; exit 1 when a check failed. The seed reproduces the
// frames every session sends (not their interleaving, which the network decides).

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    frames: { type: 'string' },
    rate: { type: 'string' },
    ci: { type: 'boolean' },
  },
});
const preset = values.ci ? CI_RUN : FULL_RUN;
const seed = values.seed === undefined ? randomSeed() : Number(values.seed) >>> 0;
const config = {
  ...preset,
  seed,
  ...(values.frames !== undefined && { frames: Number(values.frames) }),
  ...(values.rate !== undefined && { framesPerSecond: Number(values.rate) }),
};
console.log(`fuzz:signal: seed ${seed} (repeat with --seed ${seed})`);
const report = await runFuzz(config, (line) => console.log(line));
printReport(report);
console.log(`fuzz:signal: wrote ${await writeReport(report)}`);
process.exitCode = report.failures.length === 0 ? 0 : 1;
