import {
  Bitfield,
  type ManifestIndex,
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
import { type BlobSource, createUploader, type UploadStats } from './uploader.js';

type FetchMessage = Extract<WorkerToAgentMessage, { type: 'pc:fetch' }>;

export interface SwarmSessionOptions {
  signalUrl: string;
  /** The site's `data-ice-servers`, for a signaling server that sends none of its own. */
  iceServers?: RTCIceServer[] | undefined;
  /** Where uploads read from (the AssetStore). */
  store: BlobSource;
  stats: UploadStats & Pick<AgentStats, 'setPeers' | 'recordDial'>;
}

/**
 * The leader's membership of one swarm (one manifest version): signaling, the peer pool, the
 * uploader and the downloads the worker asked for. A new manifest means a new session.
 */
export class SwarmSession {
  readonly have: Bitfield;
  private readonly signaling: SignalingClient;
  private readonly pool: PeerPool;
  private readonly downloads = new Set<AssetDownload>();

  constructor(
    readonly manifest: ManifestIndex,
    held: Set<string>,
    options: SwarmSessionOptions,
  ) {
    this.have = new Bitfield(manifest.size);
    manifest.manifest.assets.forEach((asset, index) => {
      if (held.has(asset.sha256)) this.have.set(index);
    });
    this.signaling = new SignalingClient({
      url: options.signalUrl,
      swarm: manifest.version,
      assets: manifest.size,
      have: this.have,
    });
    this.pool = new PeerPool({
      relay: this.signaling,
      manifestVersion: manifest.version,
      assets: manifest.size,
      localHave: () => this.have,
      onUpload: createUploader({
        manifest,
        store: options.store,
        stats: options.stats,
      }),
      onChange: () => options.stats.setPeers(this.pool.size),
      onDial: (outcome) => options.stats.recordDial(outcome),
      iceServers: () => this.signaling.iceServers ?? options.iceServers ?? [],
    });
    this.signaling.on('signal', ({ from, data }) => this.pool.handleSignal(from, data));
    this.signaling.on('welcome', (peerId) =>
      debug('joined swarm', manifest.version.slice(0, 8), 'as', peerId),
    );
    this.signaling.connect().catch((err) => debug('signaling unavailable', err));
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
    const asset = this.manifest.get(message.asset);
    if (message.manifestVersion !== this.manifest.version || !asset) {
      reply('agent-unavailable');
      return;
    }
    // Down and waiting out its backoff: go to the origin now rather than force a reconnect.
    if (this.signaling.state === 'closed') {
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
    const started = new AssetDownload({
      asset,
      index: message.asset,
      pool: this.pool,
      findPeers: () => this.signaling.find(message.asset),
      sink: {
        onChunk: (index, data) => {
          sent++;
          port.postMessage({ type: 'pc:chunk', index, data }, [data]);
        },
        onEnd: (error) => {
          this.downloads.delete(started);
          if (error)
            port.postMessage({ type: sent ? 'pc:failed' : 'pc:unavailable', code: error.code });
          port.close();
        },
      },
    });
    download = started;
    this.downloads.add(started);
    started.start();
  }

  /** The worker stored an asset: seed it. */
  stored(asset: number): void {
    if (asset >= this.have.length || this.have.has(asset)) return;
    this.have.set(asset);
    this.announceHave();
  }

  /** Adds whatever the store holds that this session did not hear about. */
  refreshHave(held: Set<string>): void {
    let added = false;
    this.manifest.manifest.assets.forEach((asset, index) => {
      if (held.has(asset.sha256) && !this.have.has(index)) {
        this.have.set(index);
        added = true;
      }
    });
    if (added) this.announceHave();
  }

  private announceHave(): void {
    this.signaling.setHave(this.have);
    this.pool.broadcastHave(this.have);
  }

  close(): void {
    for (const download of this.downloads) download.cancel();
    this.pool.close();
    this.signaling.close();
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
