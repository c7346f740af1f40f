import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { DEADLINE_ENV, PROBE_PREFIX } from './probe-protocol.js';

/**
 * Preloaded into the fuzzed server (node --expose-gc --import), which is otherwise unchanged.
 * On SIGUSR2 it runs full garbage collections and prints, as one PROBE_PREFIX line on stderr,
 * what the server's event loop went through since the last SIGUSR2 (delay percentiles,
 * utilization) and the live heap: so the fuzzer can tell a blocked server from a busy machine,
 * and read memory once the garbage is gone.
 */
const FULL_COLLECTIONS = 2;
/** Delay is sampled every this many ms. */
const RESOLUTION_MS = 10;
const NS_PER_MS = 1e6;
const MB = 1024 * 1024;

/** How often it checks that the fuzzer is still there (it must not outlive a killed fuzzer). */
const ORPHAN_CHECK_MS = 1_000;
const EXIT_ORPHANED = 70;

const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(EXIT_ORPHANED);
}, ORPHAN_CHECK_MS).unref();
const deadline = Number(process.env[DEADLINE_ENV]);
if (deadline > 0) setTimeout(() => process.exit(EXIT_ORPHANED), deadline).unref();

const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
delay.enable();
let since = performance.eventLoopUtilization();

process.on('SIGUSR2', () => {
  const utilization = performance.eventLoopUtilization(since);
  const loop = {
    lagP50Ms: delay.percentile(50) / NS_PER_MS,
    lagP99Ms: delay.percentile(99) / NS_PER_MS,
    lagMaxMs: delay.max / NS_PER_MS,
    utilization: utilization.utilization,
  };
  for (let i = 0; i < FULL_COLLECTIONS; i++) globalThis.gc?.();
  const { heapUsed, external, arrayBuffers } = process.memoryUsage();
  const line = { ...loop, heapUsedMb: heapUsed / MB, externalMb: (external + arrayBuffers) / MB };
  process.stderr.write(`${PROBE_PREFIX}${JSON.stringify(line)}\n`);
  delay.reset();
  since = performance.eventLoopUtilization();
});
