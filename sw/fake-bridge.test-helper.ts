import {
  CHUNK_SIZE,
  type ErrorCode,
  type ManifestAsset,
  PeerConnectError,
} from '../protocol/index.js';
import type { ChunkResult, PeerAgent, PeerSession } from './agent-bridge.js';

/**
 * What the fake agent answers to each `next()` of a session, in order: chunk `index` of the
 * asset (flipped in one byte when `corrupt`), an error, or nothing until the deadline passes
 * (`stall`, also what follows the last step). A chunk with `delayMs` comes that much later (a
 * trickling peer), or not at all when the deadline passes first.
 */
export type AgentStep =
  | { chunk: number; corrupt?: true; delayMs?: number }
  | { error: ErrorCode }
  | 'stall';

/** One session of the fake agent; it ends like the real one, and counts its `pc:cancel`s. */
export class FakeSession implements PeerSession {
  /** The deadline of every `next()` call, in order. */
  readonly deadlines: number[] = [];
  /** How many `pc:cancel` the agent heard (the real session sends at most one). */
  cancels = 0;
  private ended = false;
  private wake: ((result: ChunkResult) => void) | undefined;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly steps: AgentStep[],
    private readonly deadlineScale: number,
    private readonly silent = false,
  ) {}

  get cancelled(): boolean {
    return this.ended;
  }

  /** The fake agent answers at once, unless `silent` (a frozen or hung tab). */
  async answered(timeoutMs: number): Promise<boolean> {
    if (!this.silent) return true;
    await new Promise((resolve) => setTimeout(resolve, timeoutMs * this.deadlineScale));
    return false;
  }

  next(timeoutMs: number): Promise<ChunkResult> {
    this.deadlines.push(timeoutMs);
    if (this.ended) return Promise.resolve({ error: new PeerConnectError('cancelled') });
    const step = this.steps.shift() ?? 'stall';
    if (step === 'stall') {
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          this.wake = undefined;
          resolve({ error: new PeerConnectError('agent-timeout') });
        }, timeoutMs * this.deadlineScale);
        this.wake = (result) => {
          clearTimeout(timer);
          resolve(result);
        };
      });
    }
    if ('error' in step) return Promise.resolve({ error: new PeerConnectError(step.error) });
    const delay = step.delayMs ?? 0;
    if (delay > 0) {
      const late = delay > timeoutMs;
      return new Promise((resolve) =>
        setTimeout(
          () => resolve(late ? { error: new PeerConnectError('agent-timeout') } : this.chunk(step)),
          Math.min(delay, timeoutMs) * this.deadlineScale,
        ),
      );
    }
    return Promise.resolve(this.chunk(step));
  }

  private chunk(step: { chunk: number; corrupt?: true }): ChunkResult {
    const data = this.bytes.slice(step.chunk * CHUNK_SIZE, (step.chunk + 1) * CHUNK_SIZE);
    if (step.corrupt) data[0] = (data[0] ?? 0) ^ 0xff;
    return { index: step.chunk, data: data.buffer };
  }

  cancel(): void {
    if (this.ended) return;
    this.ended = true;
    this.cancels++;
    const wake = this.wake;
    this.wake = undefined;
    wake?.({ error: new PeerConnectError('cancelled') });
  }
}

export interface FakeAgentOptions {
  /** The asset's true bytes, which the fake peers hold. */
  bytes: Uint8Array;
  /** The answers of each session opened, in order of opening. */
  sessions?: AgentStep[][];
  /** Thrown by `open()` instead of opening (no agent, or P2P turned off). */
  refuse?: ErrorCode;
  /** The agent never answers (its tab is frozen or hung). */
  silent?: true;
  /** Deadlines pass after `timeoutMs * deadlineScale` ms, so tests need not sit them out. */
  deadlineScale?: number;
}

/** An in-memory peer agent: scripted sessions, and a record of what the worker told it. */
export class FakeBridge implements PeerAgent {
  readonly sessions: FakeSession[] = [];
  /** The records of the assets asked for, in order. */
  readonly opened: ManifestAsset[] = [];
  /** The content hashes announced as stored, in order. */
  readonly stored: string[] = [];
  private readonly scripts: AgentStep[][];

  constructor(private readonly options: FakeAgentOptions) {
    this.scripts = (options.sessions ?? []).map((steps) => [...steps]);
  }

  /** Every chunk of `asset`, in order: peers that have it all and keep up. */
  static wholeAsset(asset: ManifestAsset): AgentStep[] {
    return asset.chunks.map((_, chunk) => ({ chunk }));
  }

  async open(asset: ManifestAsset): Promise<PeerSession> {
    this.opened.push(asset);
    if (this.options.refuse) throw new PeerConnectError(this.options.refuse);
    const session = new FakeSession(
      this.options.bytes,
      this.scripts.shift() ?? [],
      this.options.deadlineScale ?? 1,
      this.options.silent,
    );
    this.sessions.push(session);
    return session;
  }

  release(session: PeerSession): void {
    const ours = this.sessions.find((candidate) => candidate === session);
    if (!ours) throw new Error('release() of a session this agent did not open');
    ours.cancel();
  }

  /** Sessions given up on as unresponsive (the real bridge then skips the agent a while). */
  readonly unresponsiveSessions: PeerSession[] = [];

  /** The client id of the fake agent's own tab, when a test sets one. */
  agentTab: string | undefined;

  isAgentTab(clientId: string): boolean {
    return clientId === this.agentTab;
  }

  unresponsive(session: PeerSession): void {
    this.unresponsiveSessions.push(session);
    this.release(session);
  }

  notifyStored(sha256: string): void {
    this.stored.push(sha256);
  }
}
