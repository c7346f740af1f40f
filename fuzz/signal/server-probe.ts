import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { PROBE_PREFIX } from './probe-line.js';

/**
 * Preloaded into the fuzzed server (node --expose-gc --import), which is otherwise unchanged.
 * On SIGUSR2 it prints what the server's event loop went through since the last SIGUSR2 (delay
 * percentiles, utilization) as one PROBE_PREFIX line on stderr, then runs full garbage
 * collections, so the fuzzer can tell a blocked server from a busy machine and read RSS once
 * the garbage is gone.
 */
const FULL_COLLECTIONS = 2;
/** Delay is sampled every this many ms. */
const RESOLUTION_MS = 10;
const NS_PER_MS = 1e6;

const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
delay.enable();
let since = performance.eventLoopUtilization();

process.on('SIGUSR2', () => {
  const utilization = performance.eventLoopUtilization(since);
  const line = {
    lagP50Ms: delay.percentile(50) / NS_PER_MS,
    lagP99Ms: delay.percentile(99) / NS_PER_MS,
    lagMaxMs: delay.max / NS_PER_MS,
    utilization: utilization.utilization,
  };
  process.stderr.write(`${PROBE_PREFIX}${JSON.stringify(line)}\n`);
  delay.reset();
  for (let i = 0; i < FULL_COLLECTIONS; i++) globalThis.gc?.();
  since = performance.eventLoopUtilization();
});
