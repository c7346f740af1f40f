import type { ProgressOutput } from './progress.js';

/** Where the CLI writes: the process's streams, or captured ones in tests. */
export interface CliIo {
  readonly stdout: ProgressOutput;
  readonly stderr: ProgressOutput;
}
