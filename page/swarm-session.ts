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
  /** The site's own ICE servers (`data-ice-servers`); else the signaling server's, else none. */
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
      iceServers: () => options.iceServers ?? this.signaling.iceServers ?? [],
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
    try {
      // Joined, or joining again after a drop: a failed first attempt must not end P2P here.
      await withTimeout(this.signaling.connect(), AGENT_LIMITS.signalingJoinTimeoutMs);
    } catch {
      reply('signaling-unavailable');
      return;
    }
    let sent = 0;
    const download = new AssetDownload({
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
          this.downloads.delete(download);
          if (error)
            port.postMessage({ type: sent ? 'pc:failed' : 'pc:unavailable', code: error.code });
          port.close();
        },
      },
    });
    port.onmessage = (event: MessageEvent) => {
      try {
        parseCancel(event.data);
      } catch (err) {
        debug('ignored a malformed message on a reply port', err);
        return;
      }
      download.cancel();
    };
    // The worker went away without a word (stopped while idle): nobody reads the chunks.
    port.addEventListener('close', () => download.cancel());
    this.downloads.add(download);
    download.start();
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
