import { type ChildProcess, fork } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PATHS } from '../../protocol/index.js';
import { metricSum } from '../../testing/index.js';
import { LOAD_LIMITS, MAX_PEERS } from './constants.js';
import {
  addErrors,
  type ErrorCounts,
  noErrors,
  type ParentMessage,
  type RampReport,
  type RelayReport,
  type WorkerMessage,
} from './ipc.js';
import { percentile } from './percentile.js';
import { REPO_ROOT, type ServerChild, stopChild, TSX } from './server-child.js';

/** One load run against one server: ramp the peers over client processes, relay, measure. */

const WORKER = join(import.meta.dirname, 'client-worker.ts');

export interface LoadOptions {
  /** Peers to hold at once (clamped to what the fd limits allow; see LoadResult.limitedBy). */
  peers: number;
  processes: number;
  /** Relayed messages per second, all processes together. */
  rate: number;
  /** Length of the relay phase. */
  seconds: number;
  /** The ramp stops here with whatever it reached. */
  rampSeconds: number;
}

export interface RampSample {
  ms: number;
  joined: number;
  rssBytes: number;
}

export interface LoadResult {
  /** Peers asked for after the fd limits, and what set that number when it is below --peers. */
  target: number;
  limitedBy?: string;
  /** Sockets open and welcomed once the ramp ended: the peak held. */
  peak: number;
  /** What the server's own gauge says at the peak (PeerConnect only). */
  serverConnections?: number;
  pairs: number;
  rampMs: number;
  rssBeforeBytes: number;
  rssPeakBytes: number;
  rssAfterRelayBytes: number;
  /** (RSS at peak - RSS before) / peak. */
  rssPerConnectionBytes: number;
  relay: {
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    /** Relayed messages delivered per second of the phase. */
    messagesPerSecond: number;
    sent: number;
    delivered: number;
    starved: number;
    /** Server CPU during the phase, percent of one core. */
    serverCpuPercent: number;
    /** Worst latency in each second of the phase, and when the phase began after the server listened. */
    maxMsBySecond: number[];
    startedAfterServerMs: number;
    /** The worst client process's event-loop delay p99, and the clients' CPU together. */
    clientLoopDelayP99Ms: number;
    clientCpuPercent: number;
    /** Sockets still open at its end. */
    joinedAtEnd: number;
  };
  errors: ErrorCounts;
  details: Record<string, number>;
  ramp: RampSample[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function ownFdLimit(): Promise<number> {
  const limits = await readFile('/proc/self/limits', 'utf8');
  const line = limits.split('\n').find((l) => l.startsWith('Max open files'));
  return Number.parseInt(line?.slice('Max open files'.length) ?? '', 10);
}

/** Peers of each process: whole pairs, spread evenly. */
export function splitPeers(peers: number, processes: number): number[] {
  const pairs = Math.floor(peers / 2);
  return Array.from(
    { length: processes },
    (_, i) => 2 * (Math.floor(pairs / processes) + (i < pairs % processes ? 1 : 0)),
  );
}

class Worker {
  private readonly listeners = new Set<(m: WorkerMessage) => void>();
  latestJoined = 0;
  readonly ready: Promise<unknown>;

  constructor(readonly child: ChildProcess) {
    this.ready = this.next('ready', LOAD_LIMITS.workerReplyMs);
    child.on('message', (m: WorkerMessage) => {
      if (m.t === 'progress') this.latestJoined = m.joined;
      for (const listener of this.listeners) listener(m);
    });
  }

  send(message: ParentMessage): void {
    this.child.send(message);
  }

  /** The next message of type `t`, or a rejection after `timeoutMs` or if the process exits. */
  next<T extends WorkerMessage['t']>(
    t: T,
    timeoutMs: number,
  ): Promise<Extract<WorkerMessage, { t: T }>> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        this.child.off('exit', onExit);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`client process: no '${t}' within ${timeoutMs} ms`));
      }, timeoutMs);
      const onExit = (code: number | null) => {
        done();
        reject(new Error(`client process exited (code ${code}) before '${t}'`));
      };
      const listener = (m: WorkerMessage) => {
        if (m.t !== t) return;
        done();
        resolve(m as Extract<WorkerMessage, { t: T }>);
      };
      this.listeners.add(listener);
      this.child.once('exit', onExit);
    });
  }
}

async function target(
  server: ServerChild,
  options: LoadOptions,
): Promise<{ peers: number; limitedBy?: string }> {
  const serverFds = (await server.fdLimit()) - LOAD_LIMITS.fdReserve;
  const clientFds = options.processes * ((await ownFdLimit()) - LOAD_LIMITS.fdReserve);
  const caps: [number, string][] = [
    [serverFds, `the server's fd limit (${serverFds + LOAD_LIMITS.fdReserve} per process)`],
    [clientFds, `the client processes' fd limits (${options.processes} processes)`],
    [MAX_PEERS, 'the 127.0.x.y source addresses'],
  ];
  let peers = options.peers;
  let limitedBy: string | undefined;
  for (const [cap, why] of caps) {
    if (cap < peers) {
      peers = cap;
      limitedBy = why;
    }
  }
  peers -= peers % 2;
  return limitedBy === undefined ? { peers } : { peers, limitedBy };
}

/**
 * Runs the load against `server` (already listening) and stops the client processes; the
 * server is the caller's. With `metrics`, the server's connection gauge is read at the peak.
 */
export async function runLoad(
  server: ServerChild,
  options: LoadOptions,
  metrics = false,
): Promise<LoadResult> {
  const { peers, limitedBy } = await target(server, options);
  await sleep(LOAD_LIMITS.settleMs);
  const rssBeforeBytes = await server.rss();
  const workers = Array.from(
    { length: options.processes },
    () =>
      new Worker(
        fork(WORKER, [], {
          cwd: REPO_ROOT,
          execArgv: [...TSX],
          stdio: 'inherit',
          serialization: 'advanced',
        }),
      ),
  );
  const wsUrls = server.nodes.map((node) => `${node.replace(/^http/, 'ws')}${PATHS.signal}`);
  try {
    await Promise.all(workers.map((worker) => worker.ready));
    const started = performance.now();
    const ramp: RampSample[] = [];
    const sampler = setInterval(async () => {
      const joined = workers.reduce((sum, w) => sum + w.latestJoined, 0);
      ramp.push({
        ms: Math.round(performance.now() - started),
        joined,
        rssBytes: await server.rss(),
      });
    }, 1000);
    const rampMs = options.rampSeconds * 1000;
    let firstPeer = 0;
    const ramped = splitPeers(peers, options.processes).map((count, i) => {
      const worker = workers[i]!;
      const report = worker.next('ramped', rampMs + LOAD_LIMITS.runSlackMs);
      worker.send({
        t: 'ramp',
        urls: wsUrls,
        origin: server.origin,
        firstPeer,
        count,
        deadlineMs: rampMs,
      });
      firstPeer += count;
      return report;
    });
    const rampReports: RampReport[] = await Promise.all(ramped).finally(() =>
      clearInterval(sampler),
    );
    const rampTook = performance.now() - started;
    await sleep(LOAD_LIMITS.settleMs);
    const rssPeakBytes = await server.rss();
    const serverConnections = metrics ? await connectionGauge(server) : undefined;
    const peak = rampReports.reduce((sum, r) => sum + r.joined, 0);

    const cpuBefore = await server.cpuMs();
    const phaseStarted = performance.now();
    const relayed = workers.map((worker, i) => {
      const report = worker.next('relayed', options.seconds * 1000 + LOAD_LIMITS.runSlackMs);
      const share = splitPeers(peers, options.processes)[i]! / Math.max(1, peers);
      worker.send({
        t: 'relay',
        messagesPerSecond: options.rate * share,
        seconds: options.seconds,
      });
      return report;
    });
    const relayReports: RelayReport[] = await Promise.all(relayed);
    const serverCpuPercent =
      (((await server.cpuMs()) - cpuBefore) / (performance.now() - phaseStarted)) * 100;
    const rssAfterRelayBytes = await server.rss();

    const errors = noErrors();
    const details: Record<string, number> = {};
    for (const report of [...rampReports, ...relayReports]) {
      addErrors(errors, report.errors);
      for (const [key, n] of Object.entries(report.details)) details[key] = (details[key] ?? 0) + n;
    }
    const latencies = relayReports.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
    const delivered = relayReports.reduce((sum, r) => sum + r.delivered, 0);
    return {
      target: peers,
      ...(limitedBy !== undefined && { limitedBy }),
      peak,
      ...(serverConnections !== undefined && { serverConnections }),
      pairs: rampReports.reduce((sum, r) => sum + r.paired, 0),
      rampMs: Math.round(rampTook),
      rssBeforeBytes,
      rssPeakBytes,
      rssAfterRelayBytes,
      rssPerConnectionBytes: peak > 0 ? (rssPeakBytes - rssBeforeBytes) / peak : 0,
      relay: {
        p50Ms: percentile(latencies, 0.5),
        p99Ms: percentile(latencies, 0.99),
        maxMs: latencies.at(-1) ?? Number.NaN,
        messagesPerSecond: delivered / options.seconds,
        sent: relayReports.reduce((sum, r) => sum + r.sent, 0),
        delivered,
        starved: relayReports.reduce((sum, r) => sum + r.starved, 0),
        serverCpuPercent,
        maxMsBySecond: Array.from(
          { length: Math.max(...relayReports.map((r) => r.maxMsBySecond.length)) },
          (_, i) => Math.max(...relayReports.map((r) => r.maxMsBySecond[i] ?? 0)),
        ),
        startedAfterServerMs: Math.round(phaseStarted - server.startedAt),
        clientLoopDelayP99Ms: Math.max(...relayReports.map((r) => r.loopDelayP99Ms)),
        clientCpuPercent: relayReports.reduce((sum, r) => sum + r.cpuPercent, 0),
        joinedAtEnd: relayReports.reduce((sum, r) => sum + r.joined, 0),
      },
      errors,
      details,
      ramp,
    };
  } finally {
    await Promise.all(workers.map((worker) => closeWorker(worker)));
  }
}

async function connectionGauge(server: ServerChild): Promise<number> {
  let total = 0;
  for (const node of server.nodes) {
    const text = await (await fetch(`${node}${PATHS.metrics}`)).text();
    total += metricSum(text, 'peerconnect_signal_connections');
  }
  return total;
}

async function closeWorker(worker: Worker): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  try {
    const closed = worker.next('closed', LOAD_LIMITS.workerReplyMs);
    worker.send({ t: 'close' });
    await closed;
  } catch {
    // It exits by itself after 'closed'; one that did not answer is cut below.
  }
  await stopChild(worker.child);
}
