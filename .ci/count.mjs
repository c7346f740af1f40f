// Counts CI results: typecheck and lint as one test each, every vitest and Playwright test
// from their JSON reports. Prints one line per step, then exactly one final line
// "N passed, N failed" (", N skipped" when any were), and exits 1 if anything failed.
//
// Usage: node .ci/count.mjs <step>:<exit code> ...   e.g. typecheck:0 lint:1 unit:0 e2e:0
import { readFileSync } from 'node:fs';

const STEPS = {
  typecheck: { kind: 'single' },
  lint: { kind: 'single' },
  unit: { kind: 'vitest', report: 'test-results/unit.json' },
  e2e: { kind: 'playwright', report: 'test-results/e2e.json' },
};

/** Vitest's JSON (Jest-compatible): per-test statuses; a file that failed to load has none. */
function countVitest(report) {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const file of report.testResults ?? []) {
    const statuses = (file.assertionResults ?? []).map((test) => test.status);
    for (const status of statuses) {
      if (status === 'passed') counts.passed++;
      else if (status === 'failed') counts.failed++;
      else counts.skipped++; // skipped, pending, todo
    }
    if (file.status === 'failed' && !statuses.includes('failed')) counts.failed++;
  }
  return counts;
}

/** Playwright's JSON: a flaky test passed on retry, so it counts as passed. */
function countPlaywright(report) {
  const { expected = 0, flaky = 0, unexpected = 0, skipped = 0 } = report.stats ?? {};
  return { passed: expected + flaky, failed: unexpected, skipped };
}

function countStep(name, exitCode) {
  const step = STEPS[name];
  if (!step) throw new Error(`count.mjs: unknown step ${name}`);
  if (step.kind === 'single') {
    return { passed: exitCode === 0 ? 1 : 0, failed: exitCode === 0 ? 0 : 1, skipped: 0 };
  }
  let report;
  try {
    report = JSON.parse(readFileSync(step.report, 'utf8'));
  } catch (err) {
    // The step crashed before writing its report: one failure, since its tests are unknown.
    return { passed: 0, failed: 1, skipped: 0, note: `no report (${err.code ?? err.message})` };
  }
  const counts = step.kind === 'vitest' ? countVitest(report) : countPlaywright(report);
  // A non-zero exit with no failing test (an unhandled error, a broken global setup, no test
  // files) is still a failure.
  if (exitCode !== 0 && counts.failed === 0) {
    return { ...counts, failed: 1, note: 'failed outside any test' };
  }
  return counts;
}

const total = { passed: 0, failed: 0, skipped: 0 };
for (const arg of process.argv.slice(2)) {
  const [name, code] = arg.split(':');
  const exitCode = Number(code);
  const counts = countStep(name, exitCode);
  total.passed += counts.passed;
  total.failed += counts.failed;
  total.skipped += counts.skipped;
  const note = counts.note ? `, ${counts.note}` : '';
  console.log(
    `${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped (exit ${exitCode}${note})`,
  );
}

const skipped = total.skipped > 0 ? `, ${total.skipped} skipped` : '';
console.log(`${total.passed} passed, ${total.failed} failed${skipped}`);
process.exit(total.failed > 0 ? 1 : 0);
