// Counts what `npm test` ran: typecheck and lint as one test each, every vitest and
// Playwright test from their JSON reports. Prints one line per step, then exactly one final
// line "N passed, N failed" (", N skipped" when any were), and exits 1 if anything failed.
//
// `npm test` runs typecheck && lint && unit && e2e, so a step whose report exists proves the
// steps before it passed, and the first step without one is where it stopped.
//
// Usage: node .ci/count.mjs <exit code of npm test>
import { readFileSync } from 'node:fs';

const STEPS = [
  { name: 'typecheck', kind: 'single' },
  { name: 'lint', kind: 'single' },
  { name: 'unit', kind: 'vitest', report: 'test-results/unit.json' },
  { name: 'e2e', kind: 'playwright', report: 'test-results/e2e.json' },
];

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

function readReport(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

const exitCode = Number(process.argv[2] ?? 1);
const reports = STEPS.map((step) => (step.report ? readReport(step.report) : undefined));
const lastReported = reports.findLastIndex((report) => report !== undefined);
const total = { passed: 0, failed: 0, skipped: 0 };
let stopped = false;

for (const [i, step] of STEPS.entries()) {
  let counts;
  let note = '';
  if (stopped) {
    counts = { passed: 0, failed: 0, skipped: 0 };
    note = ' (not run)';
  } else if (step.kind === 'single') {
    // Passed if any later step reported. With no report at all on a failing run, typecheck or
    // lint stopped it: which one is in the log above; it counts once, as failed.
    const passed = lastReported >= 0 || exitCode === 0;
    counts = { passed: passed ? 1 : 0, failed: passed || i > 0 ? 0 : 1, skipped: 0 };
    if (!passed) {
      note = i === 0 ? ' (typecheck or lint failed; see the log)' : ' (not run)';
      stopped = i > 0;
    }
  } else if (reports[i] === undefined) {
    // No report: this step crashed before writing one, or npm test stopped before it.
    counts = { passed: 0, failed: 1, skipped: 0 };
    note = ' (no report)';
    stopped = true;
  } else {
    counts = step.kind === 'vitest' ? countVitest(reports[i]) : countPlaywright(reports[i]);
    const isLast = i === STEPS.length - 1 || reports[i + 1] === undefined;
    // A non-zero exit with no failing test (an unhandled error, a broken global setup).
    if (isLast && exitCode !== 0 && counts.failed === 0) {
      counts.failed = 1;
      note = ' (failed outside any test)';
    }
    if (isLast && exitCode !== 0) stopped = true;
  }
  total.passed += counts.passed;
  total.failed += counts.failed;
  total.skipped += counts.skipped;
  console.log(
    `${step.name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped${note}`,
  );
}

if (exitCode !== 0 && total.failed === 0) total.failed = 1;
const skipped = total.skipped > 0 ? `, ${total.skipped} skipped` : '';
console.log(`${total.passed} passed, ${total.failed} failed${skipped}`);
process.exit(exitCode !== 0 || total.failed > 0 ? 1 : 0);
