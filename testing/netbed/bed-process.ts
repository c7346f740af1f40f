import { type ChildProcess, spawn } from 'node:child_process';
import { inNamespace } from './command.js';

/** A long-running child inside a namespace (a server, TURN, a relay), with its output kept. */

/** Keep only the tail of a chatty process's output. */
const MAX_LOG_CHARS = 200_000;
/** SIGTERM, then SIGKILL after this. */
const STOP_GRACE_MS = 5_000;

export interface BedProcess {
  readonly ns: string;
  readonly child: ChildProcess;
  /** stdout and stderr so far, interleaved. */
  log(): string;
  /** Resolves when the output matches `pattern` (returns the match); rejects on exit or timeout. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** Whether it has exited (or was killed). */
  exited(): boolean;
  /** SIGTERM, then SIGKILL after STOP_GRACE_MS; safe to call twice. */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Starts `file args...` inside `ns` (`ip netns exec` execs it: the child's pid is the program's). */
export function spawnInNamespace(
  ns: string,
  file: string,
  args: readonly string[],
  options: SpawnOptions = {},
): BedProcess {
  const [ip, ...ipArgs] = inNamespace(ns, file, args);
  const child = spawn(ip!, ipArgs, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-MAX_LOG_CHARS);
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
    for (const listener of listeners) listener();
  });
  const exit = new Promise<void>((done) => child.once('close', () => done()));
  const exited = () =>
    child.exitCode !== null || child.signalCode !== null || spawnError !== undefined;
  const commandLine = () => `\`${[file, ...args].join(' ')}\` in ${ns}`;

  return {
    ns,
    child,
    log: () => output,
    exited,
    waitForOutput(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const finish = (error?: Error, match?: RegExpExecArray) => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('close', check);
          if (error) reject(error);
          else resolve(match!);
        };
        const check = () => {
          const match = pattern.exec(output);
          if (match) return finish(undefined, match);
          if (spawnError) return finish(new Error(`${commandLine()}: ${spawnError.message}`));
          if (exited()) {
            finish(
              new Error(
                `${commandLine()} exited (code ${child.exitCode}, signal ${child.signalCode}) before printing ${pattern}\n--- output ---\n${output}`,
              ),
            );
          }
        };
        const timer = setTimeout(
          () =>
            finish(
              new Error(
                `${commandLine()} did not print ${pattern} within ${timeoutMs} ms\n--- output ---\n${output}`,
              ),
            ),
          timeoutMs,
        );
        listeners.add(check);
        child.on('close', check);
        check();
      });
    },
    async stop() {
      if (child.pid === undefined || exited()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exit;
      clearTimeout(timer);
    },
  };
}
