import { inNamespace, type RunOptions, run } from './command.js';
import { NODE_SCRIPT_START_MS, nodeScriptArgv, REPO_ROOT } from './node-script.js';
import {
  STUN_PROBE_REPORT_PREFIX,
  type StunProbeReport,
  type StunProbeTarget,
} from './stun-probe-protocol.js';

export type {
  StunProbeAnswer,
  StunProbeReport,
  StunProbeTarget,
} from './stun-probe-protocol.js';

/**
 * Sends STUN Binding requests from inside namespace `ns` (a home host) to each target in turn,
 * from one UDP socket, and reports the mapped address each server saw: behind a full-cone NAT
 * the same public port for every destination, behind a symmetric NAT a new one each time.
 */

const DEFAULT_ANSWER_TIMEOUT_MS = 2_000;

export async function stunProbe(
  ns: string,
  targets: readonly StunProbeTarget[],
  options: { answerTimeoutMs?: number } = {},
): Promise<StunProbeReport> {
  const answerTimeoutMs = options.answerTimeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS;
  const request = JSON.stringify({ targets, timeoutMs: answerTimeoutMs });
  const runOptions: RunOptions = {
    cwd: REPO_ROOT,
    timeoutMs: NODE_SCRIPT_START_MS + targets.length * answerTimeoutMs,
  };
  const [file, ...args] = nodeScriptArgv('stun-probe-main.ts', [request]);
  const { stdout } = await run(inNamespace(ns, file!, args), runOptions);
  const line = stdout.split('\n').find((text) => text.startsWith(STUN_PROBE_REPORT_PREFIX));
  if (!line) throw new Error(`stun probe in ${ns} printed no report: ${stdout}`);
  return JSON.parse(line.slice(STUN_PROBE_REPORT_PREFIX.length)) as StunProbeReport;
}
