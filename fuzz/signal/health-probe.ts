import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { PATHS } from '../../protocol/index.js';
import { Latencies } from './latency.js';

/** A poll that has not answered by now has failed (and is counted as such, not as a latency). */
const POLL_TIMEOUT_MS = 2_000;
/** The first polls load this process's http code and warm both sides' JIT: not counted. */
const WARMUP_POLLS = 5;

export interface HealthReport {
  readonly latencyMs: ReturnType<Latencies['summary']>;
  /** Polls that failed: no answer in time, a refused connection, not 200 with ok: true. */
  readonly failures: readonly string[];
}

/**
 * Polls `/peerconnect/healthz` every `intervalMs` on a fresh connection each time (as a load
 * balancer's check would), from its own source address, and times each answer.
 */
export class HealthProbe {
  private readonly latencies: Latencies;
  private readonly failures: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private polls = 0;

  constructor(
    private readonly origin: string,
    private readonly localAddress: string,
    private readonly intervalMs: number,
    limitMs: number,
  ) {
    this.latencies = new Latencies(limitMs);
  }

  start(): void {
    const tick = () => {
      this.inFlight = this.poll().finally(() => {
        this.timer = setTimeout(tick, this.intervalMs);
      });
    };
    tick();
  }

  async stop(): Promise<HealthReport> {
    clearTimeout(this.timer);
    await this.inFlight;
    clearTimeout(this.timer);
    return { latencyMs: this.latencies.summary(), failures: this.failures };
  }

  private poll(): Promise<void> {
    const started = performance.now();
    return new Promise((done) => {
      const fail = (why: string) => {
        this.failures.push(`${new Date().toISOString()} ${why}`);
        done();
      };
      const req = request(
        new URL(PATHS.healthz, this.origin),
        { agent: false, localAddress: this.localAddress, timeout: POLL_TIMEOUT_MS },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('error', (err) => fail(err.message));
          res.on('end', () => {
            const ms = performance.now() - started;
            if (res.statusCode !== 200 || !body.includes('"ok":true')) {
              fail(`healthz answered ${res.statusCode}: ${body.slice(0, 200)}`);
              return;
            }
            if (++this.polls > WARMUP_POLLS) this.latencies.add(ms);
            done();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer in ${POLL_TIMEOUT_MS} ms`)));
      req.on('error', (err) => fail(err.message));
      req.end();
    });
  }
}
