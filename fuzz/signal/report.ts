import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { FuzzReport } from './fuzz-run.js';
import type { LatencySummary } from './latency.js';

export const RESULTS_DIR = join(import.meta.dirname, '..', 'results');

const ms = (x: number) => `${x.toFixed(1)} ms`;
const latency = (l: LatencySummary) =>
  `n ${l.count}, p50 ${ms(l.p50)}, p99 ${ms(l.p99)}, max ${ms(l.max)}, over limit ${l.overLimit}`;
const counts = (c: Record<string, number>) =>
  Object.entries(c)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ');

/** The run as tables on stdout: frames, scenarios, what the server did, the checks. */
export function printReport(report: FuzzReport): void {
  console.log(
    `\nseed ${report.seed}: ${report.frames.total} frames, ${report.sessions} sessions, ${(report.fuzzMs / 1000).toFixed(1)} s of fuzz`,
  );
  console.table(report.frames.byKind);
  console.table(
    Object.fromEntries(
      Object.entries(report.scenarios).map(([name, t]) => [
        name,
        {
          sessions: t.sessions,
          frames: t.frames,
          closes: counts(t.closes),
          refused: counts(t.refused),
        },
      ]),
    ),
  );
  const notes = Object.entries(report.scenarios).flatMap(([name, t]) =>
    Object.entries(t.notes).map(([note, n]) => ({ scenario: name, note, n })),
  );
  if (notes.length > 0)
    console.table(notes.sort((a, b) => a.scenario.localeCompare(b.scenario) || b.n - a.n));
  const { observer, memory } = report;
  console.table({
    'server messages': counts(report.received),
    'server errors': counts(report.serverErrors),
    violations: report.violations.count,
    'known issues': counts(report.knownIssues),
    healthz: observer ? latency(observer.health.latencyMs) : 'no report',
    'watcher find': observer ? latency(observer.watch.findMs) : 'no report',
    'watcher relay': observer ? latency(observer.watch.relayMs) : 'no report',
    'watcher rounds': observer?.watch.rounds ?? 0,
    'server RSS': memory
      ? `baseline ${memory.baselineMb.toFixed(1)} MB, warm ${memory.warmMb.toFixed(1)} MB, peak ${memory.peakMb.toFixed(1)} MB, after ${memory.afterMb.toFixed(1)} MB` +
        ` (${memory.settledInMs === undefined ? 'not settled' : `within ${memory.slackMb} MB after ${(memory.settledInMs / 1000).toFixed(1)} s`}); ` +
        `live heap ${memory.baselineHeapMb?.toFixed(1)} MB warm -> ${memory.afterHeapMb?.toFixed(1)} MB`
      : 'not measured',
    'state after': counts(report.stateAfter as Record<string, number>),
    'server event loop': report.serverLoop
      ? `lag p50 ${ms(report.serverLoop.lagP50Ms)}, p99 ${ms(report.serverLoop.lagP99Ms)}, max ${ms(report.serverLoop.lagMaxMs)}, ` +
        `busy ${(report.serverLoop.utilization * 100).toFixed(0)} %`
      : 'no probe',
    'CPU seconds': report.cpu
      ? `server ${report.cpu.server.toFixed(1)}, fuzzer ${report.cpu.fuzzer.toFixed(1)}, in ${report.cpu.wall.toFixed(1)} s`
      : 'not measured',
  });
  for (const v of report.violations.first.slice(0, 10)) console.log(`violation: ${v}`);
  for (const e of report.fuzzerErrors.slice(0, 10)) console.log(`fuzzer error: ${e}`);
  console.log(report.failures.length === 0 ? 'PASS' : `FAIL:\n  ${report.failures.join('\n  ')}`);
}

/** Writes the report with the machine it ran on; returns the file path. */
export async function writeReport(report: FuzzReport): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = join(
    RESULTS_DIR,
    `signal-${report.startedAt.replace(/[:.]/g, '-')}-seed${report.seed}.json`,
  );
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    totalMemMb: totalmem() / 1024 / 1024,
    node: process.version,
  };
  await writeFile(file, `${JSON.stringify({ machine, ...report }, null, 2)}\n`);
  return file;
}
