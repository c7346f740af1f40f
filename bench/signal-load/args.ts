import { parseArgs } from 'node:util';
import { LOAD_DEFAULTS, MAX_PEERS } from './constants.js';
import type { LoadOptions } from './load-run.js';

export interface BenchArgs extends LoadOptions {
  /** Skip the raw ws baseline run. */
  baseline: boolean;
  /** Three nodes sharing swarms through a redis-server the bench starts. */
  redis: boolean;
}

const MAX_PROCESSES = 16;
const MAX_RATE = 100_000;
const MAX_SECONDS = 600;

function integer(
  flag: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`--${flag} must be an integer from ${min} to ${max}, not '${text}'`);
  }
  return value;
}

/** `npm run bench:signal -- --peers 5000 --processes 2 --rate 1000 --seconds 10`. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      peers: { type: 'string' },
      processes: { type: 'string' },
      rate: { type: 'string' },
      seconds: { type: 'string' },
      'ramp-seconds': { type: 'string' },
      'no-baseline': { type: 'boolean' },
      redis: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  return {
    peers: integer('peers', values.peers, LOAD_DEFAULTS.peers, 2, MAX_PEERS),
    processes: integer('processes', values.processes, LOAD_DEFAULTS.processes, 1, MAX_PROCESSES),
    rate: integer('rate', values.rate, LOAD_DEFAULTS.rate, 1, MAX_RATE),
    seconds: integer('seconds', values.seconds, LOAD_DEFAULTS.seconds, 1, MAX_SECONDS),
    rampSeconds: integer(
      'ramp-seconds',
      values['ramp-seconds'],
      LOAD_DEFAULTS.rampSeconds,
      1,
      MAX_SECONDS,
    ),
    baseline: values['no-baseline'] !== true,
    redis: values.redis === true,
  };
}
