import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { printTable, RESULTS_DIR, writeResults } from '../report.js';
import { writeBarChart } from '../svg-chart.js';
import { parseBenchArgs } from './args.js';
import { runSignalBench } from './bench.js';
import { LOAD_LIMITS } from './constants.js';
import { GOALS, goalLines, latencyBars, memoryBars, resultRows } from './rows.js';

/** `npm run bench:signal`: the signaling load bench (bench/signal-load/README.md). */

const args = parseBenchArgs(process.argv.slice(2));
const NAME = args.redis ? 'signal-load-redis' : 'signal-load';
// Two runs (PeerConnect, baseline), each a ramp and a relay phase: past this, give up.
const runs = args.baseline ? 2 : 1;
const hardStopMs = runs * ((args.rampSeconds + args.seconds) * 1000 + 2 * LOAD_LIMITS.runSlackMs);
const hardStop = setTimeout(() => {
  console.error(`bench:signal: not done after ${hardStopMs} ms; stopping`);
  process.exit(1);
}, hardStopMs);
hardStop.unref();

console.log(
  `bench:signal: up to ${args.peers} peers over ${args.processes} client processes (loopback), ` +
    `${args.rate} relayed msg/s for ${args.seconds} s, ramp at most ${args.rampSeconds} s`,
);
const result = await runSignalBench(args, args.baseline, args.redis);
const rows = resultRows(result, args.processes);
printTable(rows);
for (const line of goalLines(result.peerconnect, args.peers)) console.log(line);
if (result.redisRssBytes !== undefined) {
  console.log(`redis-server RSS at the end: ${(result.redisRssBytes / 1024 / 1024).toFixed(1)} MB`);
}
const footnote = 'loopback, one machine (2 cores) shared by the server and the client processes';
console.log(`results: ${await writeResults(rows, NAME)}`);
const detail = join(RESULTS_DIR, `${NAME}-detail.json`);
await writeFile(
  detail,
  `${JSON.stringify({ date: new Date().toISOString(), args, ...result }, null, 2)}\n`,
);
console.log(`detail: ${detail}`);
console.log(
  `charts: ${await writeBarChart(`${NAME}-memory`, 'Server RSS per signaling connection (KB)', memoryBars(result), `${footnote}; dashed: goal ${GOALS.rssPerConnectionBytes / 1024} KB`, GOALS.rssPerConnectionBytes / 1024)}, ` +
    `${await writeBarChart(`${NAME}-latency`, 'Relay latency, one way (ms)', latencyBars(result), `${footnote}; dashed: goal p99 ${GOALS.relayP99Ms} ms`, GOALS.relayP99Ms)}`,
);
