import {
  contentIdOf,
  PeerConnectError,
  parseCancel,
  type WorkerToAgentMessage,
} from '../protocol/index.js';
import { AGENT_LIMITS } from './config.js';
import { AssetDownload } from './download.js';
import { debug } from './log.js';
import { PeerPool } from './peer-pool.js';
import { SignalingClient } from './signaling-client.js';
import type { AgentStats } from './stats.js';
import { onConnectionChange, type UploadPolicy, uploadPause } from './upload-policy.js';
import { type BlobSource, createUploader, type UploadStats } from './uploader.js';

type FetchMessage = Extract<WorkerToAgentMessage, { type: 'pc:fetch' }>;

/** The part of the AssetStore a session reads: bytes to upload and what is held. */
export interface HeldStore extends BlobSource {
  hashes(): Promise<Set<string>>;
}

export interface SwarmSessionOptions {
  signalUrl: string;
  /** The site's `data-ice-servers`, for a signaling server that sends none of its own. */
  iceServers?: RTCIceServer[] | undefined;
  /** Where uploads read from (the AssetStore). */
  store: HeldStore;
  stats: UploadStats & Pick<AgentStats, 'setPeers' | 'recordDial'>;
  policy: UploadPolicy;
}

/**
 * The leader's membership of its site's swarm, across releases: signaling, the peer pool, the
 * uploader and the downloads the worker asked for. Peers find each other by content, so one
 * session serves whatever any release stored: it announces the content id of every verified
 * asset the store holds (signaling discloses them only once the swarm has its quorum), and
 * withdraws them all while uploads are paused (budget spent, cellular), since a holder that
 * refuses every request only costs downloaders a round trip.
 */
export class SwarmSession {
  /** sha-256 of every asset the store is known to hold. */
  private readonly held = new Set<string>();
  private readonly signaling: SignalingClient;
  private readonly pool: PeerPool;
  private readonly downloads = new Set<AssetDownload>();
  private readonly stopWatchingConnection: () => void;
  private announcing = false;
  private budgetSpent = false;
  private closed = false;

  constructor(private readonly options: SwarmSessionOptions) {
    this.signaling = new SignalingClient({ url: options.signalUrl });
    this.pool = new PeerPool({
      relay: this.signaling,
      onUpload: createUploader({
        store: options.store,
        stats: options.stats,
        policy: options.policy,
        onMissing: (sha256) => this.forget(sha256),
        onPaused: (reason) => {
          // A budget never refills within a session: the remainder is too small to be worth asking for.
          if (reason === 'budget') this.budgetSpent = true;
          this.updateAnnouncing();
        },
      }),
      onChange: () => options.stats.setPeers(this.pool.size),
      onDial: (outcome) => options.stats.recordDial(outcome),
      iceServers: () => this.signaling.iceServers ?? options.iceServers ?? [],
    });
    this.signaling.on('signal', ({ from, data }) => this.pool.handleSignal(from, data));
    this.signaling.on('welcome', (peerId) => debug('joined the swarm as', peerId));
    this.stopWatchingConnection = onConnectionChange(() => this.updateAnnouncing());
    this.signaling.connect().catch((err) => debug('signaling unavailable', err));
  }

  /** Announces whatever the store holds that this session did not hear about (the worker restarted). */
  async refresh(): Promise<void> {
    const hashes = await this.options.store.hashes();
    if (this.closed) return;
    const added = [...hashes].filter((sha256) => !this.held.has(sha256));
    for (const sha256 of added) this.held.add(sha256);
    this.updateAnnouncing(added);
  }

  /** The worker stored an asset: seed it. */
  stored(sha256: string): void {
    if (this.closed || this.held.has(sha256)) return;
    this.held.add(sha256);
    this.updateAnnouncing([sha256]);
  }

  /**
   * Serves one worker request over its reply port: verified chunks as transferred buffers, then
   * the port closes (or `pc:unavailable` / `pc:failed` first). The worker's `pc:cancel`, or the
   * port closing under us, cancels the download.
   */
  async fetch(message: FetchMessage, port: MessagePort): Promise<void> {
    const reply = (code: PeerConnectError['code']) => {
      port.postMessage({ type: 'pc:unavailable', code });
      port.close();
    };
    // Down and waiting out its backoff: go to the origin now rather than force a reconnect.
    if (this.closed || this.signaling.state === 'closed') {
      reply('signaling-unavailable');
      return;
    }
    // The worker's `pc:cancel`, or its port closing under us (stopped while idle, nobody reads
    // the chunks), cancels the download: also while we are still joining.
    let download: AssetDownload | undefined;
    let gone = false;
    const cancel = () => {
      gone = true;
      download?.cancel();
    };
    port.onmessage = (event: MessageEvent) => {
      try {
        parseCancel(event.data);
      } catch (err) {
        debug('ignored a malformed message on a reply port', err);
        return;
      }
      cancel();
    };
    port.addEventListener('close', cancel);
    try {
      // Joined, or joining again after a drop: a failed first attempt must not end P2P here.
      await withTimeout(this.signaling.connect(), AGENT_LIMITS.signalingJoinTimeoutMs);
    } catch {
      reply('signaling-unavailable');
      return;
    }
    if (gone) {
      port.close();
      return;
    }
    let sent = 0;
    const content = contentIdOf(message.asset.sha256);
    const started = new AssetDownload({
      asset: message.asset,
      pool: this.pool,
      findPeers: () => this.signaling.find(content),
      sink: {
        onChunk: (index, data) => {
          sent++;
          port.postMessage({ type: 'pc:chunk', index, data }, [data]);
        },
        onEnd: (error) => {
          this.downloads.delete(started);
          if (error) {
            debug(message.asset.path, 'not from peers:', error.code, error.message);
            port.postMessage({ type: sent ? 'pc:failed' : 'pc:unavailable', code: error.code });
          }
          port.close();
        },
      },
    });
    download = started;
    this.downloads.add(started);
    started.start();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopWatchingConnection();
    for (const download of this.downloads) download.cancel();
    this.pool.close();
    this.signaling.close();
  }

  /** The store no longer holds it (evicted, or damaged): peers stop being sent here for it. */
  private forget(sha256: string): void {
    if (!this.held.delete(sha256)) return;
    this.signaling.withdraw([contentIdOf(sha256)]);
  }

  /**
   * Announces `added` while uploads go on; on a pause, withdraws everything, and when it
   * lifts (back off cellular), announces everything again.
   */
  private updateAnnouncing(added: readonly string[] = []): void {
    if (this.closed) return;
    const paused = this.budgetSpent
      ? 'budget'
      : uploadPause(this.options.policy, this.options.stats.bytesUploaded);
    const ids = (hashes: Iterable<string>) => [...hashes].map(contentIdOf);
    if (paused) {
      if (this.announcing) {
        debug('uploads paused:', paused);
        this.signaling.withdraw(ids(this.held));
      }
      this.announcing = false;
      return;
    }
    if (this.announcing) {
      if (added.length > 0) this.signaling.announce(ids(added));
      return;
    }
    this.announcing = true;
    if (this.held.size > 0) this.signaling.announce(ids(this.held));
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new PeerConnectError('signaling-unavailable', 'join timeout')),
      ms,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
