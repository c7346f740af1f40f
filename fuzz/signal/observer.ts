import { type ChildProcess, fork } from 'node:child_process';
import { resolve } from 'node:path';
import type {
  ObserverCommand,
  ObserverConfig,
  ObserverMessage,
  ObserverReport,
} from './observer-protocol.js';

const ENTRY = resolve(import.meta.dirname, 'observer-main.ts');
const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
/** tsx compiles on start, and the pair must join and find each other. */
const READY_TIMEOUT_MS = 30_000;
/** The last round and the last poll finish within their own timeouts; this is beyond both. */
const REPORT_TIMEOUT_MS = 10_000;

export interface Observer {
  /** Watcher A's peer id. */
  readonly watchedPeer: string;
  /** Stops the probes and returns what they saw; kills the process if it does not answer. */
  stop(): Promise<ObserverReport>;
  /** Kills it at once (a run that failed). */
  kill(): void;
}

/** Starts the observer process against the server; resolves once the pair is in its swarm. */
export async function startObserver(config: ObserverConfig): Promise<Observer> {
  const child = fork(ENTRY, [JSON.stringify(config)], {
    cwd: REPO_ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const first = await nextMessage(child, READY_TIMEOUT_MS).catch((err: Error) => {
    child.kill('SIGKILL');
    throw err;
  });
  if (first.t !== 'ready') {
    child.kill('SIGKILL');
    throw new Error(`the observer did not start: ${first.t === 'failed' ? first.error : first.t}`);
  }
  return {
    watchedPeer: first.watchedPeer,
    async stop() {
      const reply = nextMessage(child, REPORT_TIMEOUT_MS);
      child.send({ t: 'stop' } satisfies ObserverCommand);
      const message = await reply.finally(() => child.kill('SIGKILL'));
      if (message.t !== 'report') throw new Error(`the observer answered ${message.t}`);
      return message.report;
    },
    kill: () => child.kill('SIGKILL'),
  };
}

function nextMessage(child: ChildProcess, timeoutMs: number): Promise<ObserverMessage> {
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      cleanup();
      fail(new Error(`no word from the observer in ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (m: ObserverMessage) => {
      cleanup();
      done(m);
    };
    const onExit = (code: number | null) => {
      cleanup();
      fail(new Error(`the observer exited (${code})`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
