import { execFile } from 'node:child_process';

/** Running one bounded command, inside or outside a namespace. */

/** Each `ip`, `iptables`, `tc` or `sysctl` call answers in milliseconds; this only stops a hang. */
export const COMMAND_TIMEOUT_MS = 10_000;

export interface CommandResult {
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** The argv that runs `file args...` inside network namespace `ns`. */
export function inNamespace(ns: string, file: string, args: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', ns, file, ...args];
}

/**
 * Runs `argv` (no shell), resolves with its output once it exits 0; rejects with the command
 * line, exit code or signal and stderr otherwise. Killed (SIGKILL) after `timeoutMs`.
 */
export function run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error('run: empty command'));
  const timeout = options.timeoutMs ?? COMMAND_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { timeout, killSignal: 'SIGKILL', cwd: options.cwd, env: options.env, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (!err) {
          resolve({ stdout, stderr });
          return;
        }
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: unknown };
        const why = e.killed ? `timed out after ${timeout} ms` : (e.code ?? e.message);
        reject(new Error(`\`${argv.join(' ')}\` failed (${why}): ${stderr.trim() || e.message}`));
      },
    );
  });
}
