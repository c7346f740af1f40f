import {
  chunkCount,
  type ManifestAsset,
  PeerConnectError,
  verifyChunk,
} from '../protocol/index.js';
import type { AssetStore } from '../store/index.js';
import type { ChunkResult, PeerAgent, PeerSession } from './agent-bridge.js';
import type { AssetRequest } from './asset-request.js';
import { DEADLINES } from './deadlines.js';
import { OriginResume } from './origin-resume.js';
import { ServedTally } from './served-reporter.js';
import { storeAndAnnounce } from './store-and-announce.js';
import { assetHeaders } from './stored-response.js';

const MS_PER_SECOND = 1000;

/**
 * Asks the agent for an asset and, once its first chunk arrived and matches the manifest within
 * the deadline, answers with a stream of the asset from peers. Undefined (nothing was sent to
 * the page) when the agent is not there, says no, is late or sends a bad first chunk.
 */
export async function peerResponse(
  req: AssetRequest,
  agent: PeerAgent,
  store: AssetStore | undefined,
): Promise<Response | undefined> {
  if (req.asset.size === 0) return undefined;
  let session: PeerSession;
  try {
    session = await agent.open(req.asset);
  } catch {
    return undefined;
  }
  const alive = agent.isAgentTab(req.clientId);
  if (!alive && !(await session.answered(DEADLINES.agentAnswerMs))) {
    agent.unresponsive(session);
    return undefined;
  }
  const first = await verifiedChunk(req.asset, 0, await session.next(DEADLINES.firstChunkMs));
  if (!first) {
    agent.release(session);
    return undefined;
  }
  const stream = new PeerStream(req, agent, store, session, first);
  return new Response(stream.body, { status: 200, headers: assetHeaders(req.asset, 'peer') });
}

/** The chunk's bytes if it is chunk `index` of the asset as the manifest describes it. */
async function verifiedChunk(
  asset: ManifestAsset,
  index: number,
  result: ChunkResult,
): Promise<Uint8Array | undefined> {
  if ('error' in result || result.index !== index) return undefined;
  return (await verifyChunk(asset, index, result.data)) ? new Uint8Array(result.data) : undefined;
}

/**
 * One asset streamed to the page chunk by chunk, each verified before it is enqueued: from the
 * agent while it keeps up, then (a stall, an error, a bad chunk, or peers slower than the
 * throughput floor) from the origin with a Range
 * for the chunks not yet sent. The whole asset, once sent, is stored and announced.
 */
class PeerStream {
  readonly body: ReadableStream<Uint8Array>;
  private readonly total: number;
  private readonly parts: Uint8Array[] = [];
  private readonly tally: ServedTally;
  private session: PeerSession | undefined;
  private origin: OriginResume | undefined;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private finished = false;
  /** After this (Date.now()), peers have been slower than the floor: the origin takes over. */
  private readonly peersUntil: number;
  /** Ends the worker's wait once the stream is over and, when complete, stored. */
  private settle!: () => void;

  constructor(
    private readonly req: AssetRequest,
    private readonly agent: PeerAgent,
    private readonly store: AssetStore | undefined,
    session: PeerSession,
    first: Uint8Array,
  ) {
    this.session = session;
    this.total = chunkCount(req.asset.size);
    this.peersUntil =
      Date.now() +
      DEADLINES.peerGraceMs +
      (req.asset.size / DEADLINES.minPeerBytesPerSecond) * MS_PER_SECOND;
    this.tally = new ServedTally(req.url.pathname, req.clientId);
    req.waitUntil(new Promise<void>((resolve) => (this.settle = resolve)));
    this.body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.controller = controller;
        this.deliver(first, 'peer');
      },
      pull: () => this.pull(),
      cancel: () => this.finish(new PeerConnectError('cancelled')),
    });
  }

  private async pull(): Promise<void> {
    try {
      const fromPeer = await this.fromPeers();
      if (this.finished) return;
      if (fromPeer) {
        this.deliver(fromPeer, 'peer');
        return;
      }
      const fromOrigin = await this.fromOrigin();
      if (this.finished) return;
      this.deliver(fromOrigin, 'origin');
    } catch (err) {
      this.finish(err);
    }
  }

  /** The next chunk from the agent; undefined once the agent failed (it is dropped then). */
  private async fromPeers(): Promise<Uint8Array | undefined> {
    const session = this.session;
    if (!session) return undefined;
    const budget = this.peersUntil - Date.now();
    if (budget <= 0) {
      this.dropPeers();
      return undefined;
    }
    const result = await session.next(Math.min(DEADLINES.stallMs, budget));
    const bytes = await verifiedChunk(this.req.asset, this.parts.length, result);
    if (!bytes) this.dropPeers();
    return bytes;
  }

  /** The next chunk from the origin, from where the peers left off. */
  private async fromOrigin(): Promise<Uint8Array> {
    this.origin ??= new OriginResume(this.req.url.href, this.req.asset, this.parts.length);
    const bytes = await this.origin.read();
    if (!bytes) throw new PeerConnectError('origin-error', 'asset ended early');
    return bytes;
  }

  private deliver(bytes: Uint8Array, source: 'peer' | 'origin'): void {
    this.tally[source] += bytes.byteLength;
    this.parts.push(bytes);
    this.controller.enqueue(bytes);
    if (this.parts.length === this.total) this.finish();
  }

  private dropPeers(): void {
    if (this.session) this.agent.release(this.session);
    this.session = undefined;
  }

  /**
   * The one way the stream ends: complete (every chunk sent: close, then store and announce), failed
   * (error the page's stream) or cancelled by the page (its stream is closed already, so the
   * error goes nowhere). Lets go of the agent and the origin and reports the tally, once.
   */
  private finish(err?: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.dropPeers();
    this.origin?.cancel();
    this.tally.report();
    if (err !== undefined || this.parts.length < this.total) {
      this.controller.error(err);
      this.settle();
      return;
    }
    this.controller.close();
    this.req.waitUntil(
      storeAndAnnounce(this.req, this.agent, this.store, this.parts).finally(this.settle),
    );
  }
}
