import { describe, expect, it } from 'vitest';
import type { BuildProgress } from '../site/index.js';
import { createProgressReporter, progressLine } from './progress.js';

const MIB = 2 ** 20;

function progress(filesDone: number, bytesDone: number): BuildProgress {
  return { filesDone, filesTotal: 10, bytesDone, bytesTotal: 10 * MIB };
}

function capture(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, output: { isTTY, write: (text: string) => writes.push(text) } };
}

describe('progress reporter', () => {
  it('formats a line', () => {
    expect(progressLine(progress(3, 2.5 * MIB))).toBe(
      'hashing 3/10 files, 2.5 MiB of 10.0 MiB (25%)',
    );
  });

  it('redraws one terminal line at most every 100 ms and erases it on clear', () => {
    const { writes, output } = capture(true);
    let now = 0;
    const reporter = createProgressReporter(output, () => now);
    reporter.update(progress(1, MIB));
    now = 50;
    reporter.update(progress(2, 2 * MIB));
    now = 100;
    reporter.update(progress(3, 3 * MIB));
    reporter.clear();
    reporter.clear();
    expect(writes).toEqual([
      '\r\x1b[Khashing 1/10 files, 1.0 MiB of 10.0 MiB (10%)',
      '\r\x1b[Khashing 3/10 files, 3.0 MiB of 10.0 MiB (30%)',
      '\r\x1b[K',
    ]);
  });

  it('prints nothing for a short run in a log, then a line every 2 s', () => {
    const { writes, output } = capture(false);
    let now = 0;
    const reporter = createProgressReporter(output, () => now);
    now = 1999;
    reporter.update(progress(1, MIB));
    now = 2000;
    reporter.update(progress(2, 2 * MIB));
    now = 3000;
    reporter.update(progress(3, 3 * MIB));
    now = 4000;
    reporter.update(progress(4, 4 * MIB));
    reporter.clear();
    expect(writes).toEqual([
      'hashing 2/10 files, 2.0 MiB of 10.0 MiB (20%)\n',
      'hashing 4/10 files, 4.0 MiB of 10.0 MiB (40%)\n',
    ]);
  });
});
