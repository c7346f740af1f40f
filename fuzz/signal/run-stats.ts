import { FRAME_KINDS, type FrameKind } from './frames.js';
import { knownIssueOf } from './known-issues.js';

/** Most violations kept word for word; the rest are only counted. */
const MAX_VIOLATIONS_KEPT = 50;

/** What one kind of session did, and what the server did to it. */
export interface ScenarioTally {
  sessions: number;
  frames: number;
  /** How its sockets ended: a close code from the server, or 'client' when we ended it. */
  closes: Record<string, number>;
  /** Upgrades the server answered with something other than 101, by status. */
  refused: Record<string, number>;
  /** Scenario-specific observations (a victim kicked, a fragmented join welcomed). */
  notes: Record<string, number>;
}

/**
 * Everything a fuzz run counts. Violations are what fail the run: the server said something the
 * protocol does not allow, or stamped a relayed message with the wrong sender.
 */
export class RunStats {
  readonly frames = Object.fromEntries(FRAME_KINDS.map((k) => [k, 0])) as Record<FrameKind, number>;
  readonly scenarios: Record<string, ScenarioTally> = {};
  /** Messages the server sent, by type, and its error codes. */
  readonly received: Record<string, number> = {};
  readonly serverErrors: Record<string, number> = {};
  readonly violations: string[] = [];
  /** Violations that match a known issue (known-issues.ts), by its name: reported, not failed. */
  readonly knownIssues: Record<string, number> = {};
  violationCount = 0;
  private sent = 0;

  /** Frames to send: the run raises it from the warm-up's to the whole run's. */
  constructor(public target: number) {}

  get totalFrames(): number {
    return this.sent;
  }

  /** Whether the run still has frames to send. */
  get budgetLeft(): boolean {
    return this.sent < this.target;
  }

  tally(scenario: string): ScenarioTally {
    this.scenarios[scenario] ??= { sessions: 0, frames: 0, closes: {}, refused: {}, notes: {} };
    return this.scenarios[scenario];
  }

  countFrame(scenario: string, kind: FrameKind): void {
    this.sent++;
    this.frames[kind]++;
    this.tally(scenario).frames++;
  }

  countReceived(type: string, errorCode?: string): void {
    this.received[type] = (this.received[type] ?? 0) + 1;
    if (errorCode) this.serverErrors[errorCode] = (this.serverErrors[errorCode] ?? 0) + 1;
  }

  violation(what: string): void {
    const known = knownIssueOf(what);
    if (known) {
      bump(this.knownIssues, known);
      return;
    }
    this.violationCount++;
    if (this.violations.length < MAX_VIOLATIONS_KEPT) {
      this.violations.push(`${new Date().toISOString()} ${what}`);
    }
  }
}

export function bump(counts: Record<string, number>, key: string | number, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}
