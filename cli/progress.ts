import { performance } from 'node:perf_hooks';
import type { BuildProgress } from '../site/index.js';
import { formatBytes } from './format.js';

/** On a terminal the line is redrawn in place, at most this often. */
const TTY_INTERVAL_MS = 100;
/** Elsewhere (CI logs) a new line only every this often, so short runs print none. */
const PLAIN_INTERVAL_MS = 2000;
const CLEAR_LINE = '\r\x1b[K';

export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgressReporter {
  update(progress: BuildProgress): void;
  /** Erases the in-place line (on a terminal) before other output follows. */
  clear(): void;
}

export function createProgressReporter(
  output: ProgressOutput,
  now: () => number = () => performance.now(),
): ProgressReporter {
  const tty = output.isTTY === true;
  const interval = tty ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS;
  // A plain log waits a full interval before its first line; a terminal shows one at once.
  let last = tty ? Number.NEGATIVE_INFINITY : now();
  let drawn = false;
  return {
    update(progress) {
      const time = now();
      if (time - last < interval) return;
      last = time;
      const line = progressLine(progress);
      output.write(tty ? `${CLEAR_LINE}${line}` : `${line}\n`);
      drawn = tty;
    },
    clear() {
      if (drawn) output.write(CLEAR_LINE);
      drawn = false;
    },
  };
}

export function progressLine(p: BuildProgress): string {
  const percent = p.bytesTotal > 0 ? Math.floor((p.bytesDone / p.bytesTotal) * 100) : 100;
  return (
    `hashing ${p.filesDone}/${p.filesTotal} files, ` +
    `${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)} (${percent}%)`
  );
}
