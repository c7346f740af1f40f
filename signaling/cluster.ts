import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { SIGNALING_LIMITS } from '../protocol/index.js';
import {
  type BusMessage,
  CLUSTER_CHANNELS,
  parseBusMessage,
  parseRelayMessage,
  type RelayMessage,
} from './cluster-messages.js';
import { type ClusterMetrics, createClusterMetrics } from './cluster-metrics.js';
import type { SignalMetrics } from './signal-metrics.js';
import type { Joined, Relayed, Swarm, SwarmMember } from './swarm.js';
import type { SwarmDirectory, SwarmEvents } from './swarm-directory.js';

export const CLUSTER_LIMITS = {
  /** A node says it is alive this often... */
  aliveIntervalMs: 2_000,
  /** ...and its peers are forgotten when it has not for this long (it died or lost Redis). */
  nodeTtlMs: 7_000,
  /** ioredis reconnect backoff: grows by this per attempt... */
  reconnectStepMs: 200,
  /** ...up to this. */
  reconnectMaxMs: 2_000,
  /** How long a command may wait for Redis before it fails (the node stays per-node meanwhile). */
  commandTimeoutMs: 2_000,
  /** On shutdown, how long `bye` and QUIT may take. */
  quitMs: 1_000,
} as const;

const NODE_ID_BYTES = 12;

export interface ClusterOptions {
  /** redis://host:port */
  url: string;
  directory: SwarmDirectory;
  registry: Registry;
  signalMetrics: SignalMetrics;
  log?: (line: string) => void;
}

/** What healthz says of Redis. */
export interface ClusterHealth {
  readonly up: boolean;
  readonly node: string;
  readonly nodes: number;
  readonly remotePeers: number;
}

interface RemoteNode {
  lastSeen: number;
  readonly peers: Map<string, { readonly swarm: Swarm; readonly joined: Joined }>;
}

/**
 * Signaling nodes sharing swarms through Redis pub/sub. Each node publishes what its own peers
 * do (join, announce, withdraw, leave) on one channel that every node mirrors into its swarms,
 * so a find on any node sees every node's holders; a relay to a peer of another node is published
 * on that node's channel and delivered there. Liveness is a heartbeat per node: a node that stops
 * (death, lost Redis) has its peers forgotten everywhere after nodeTtlMs.
 *
 * A Redis outage degrades to per-node swarms: the mirrors are dropped (nobody would be told of
 * their changes), and when both connections are back the node asks for and republishes state.
 * Cost: every message is O(its ids) on every node, as a client's own announce is on its node;
 * each node holds the whole index (memory per announced id, times nodes).
 */
export class Cluster implements SwarmEvents {
  readonly node = randomBytes(NODE_ID_BYTES).toString('base64url');
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly remotes = new Map<string, RemoteNode>();
  private readonly metrics: ClusterMetrics;
  private readonly alive: NodeJS.Timeout;
  /** Whether both connections were ready when last looked at: a change to ready resyncs. */
  private wasUp = false;
  private closed = false;

  constructor(private readonly options: ClusterOptions) {
    const retryStrategy = (attempt: number) =>
      Math.min(attempt * CLUSTER_LIMITS.reconnectStepMs, CLUSTER_LIMITS.reconnectMaxMs);
    const common = {
      retryStrategy,
      // Fail fast while Redis is away: a relay or an announce then reaches only this node.
      maxRetriesPerRequest: 0,
      commandTimeout: CLUSTER_LIMITS.commandTimeoutMs,
      lazyConnect: false,
    };
    this.pub = new Redis(options.url, { ...common, enableOfflineQueue: false });
    // The subscriber queues its SUBSCRIBE until connected; ioredis resubscribes on reconnect.
    this.sub = new Redis(options.url, { ...common, enableOfflineQueue: true });
    this.metrics = createClusterMetrics(options.registry, {
      up: () => this.up,
      nodes: () => this.remotes.size,
      remotePeers: () => this.remotePeers,
    });
    for (const client of [this.pub, this.sub]) {
      client.on('ready', () => this.checkUp());
      client.on('close', () => this.checkUp());
      // ioredis reports every failed attempt; the outage is logged once (checkUp).
      client.on('error', () => {});
    }
    this.sub.on('message', (channel: string, text: string) => this.onMessage(channel, text));
    this.sub.subscribe(CLUSTER_CHANNELS.swarms, CLUSTER_CHANNELS.node(this.node)).catch(() => {});
    this.alive = setInterval(() => this.beat(), CLUSTER_LIMITS.aliveIntervalMs);
    this.alive.unref();
  }

  get up(): boolean {
    return this.pub.status === 'ready' && this.sub.status === 'ready';
  }

  get remotePeers(): number {
    let total = 0;
    for (const remote of this.remotes.values()) total += remote.peers.size;
    return total;
  }

  health(): ClusterHealth {
    return {
      up: this.up,
      node: this.node,
      nodes: this.remotes.size,
      remotePeers: this.remotePeers,
    };
  }

  joined(swarm: string, peer: string): void {
    this.publish({ t: 'join', node: this.node, swarm, peer });
  }

  left(swarm: string, peer: string): void {
    this.publish({ t: 'leave', node: this.node, swarm, peer });
  }

  announced(swarm: string, peer: string, ids: readonly string[]): void {
    this.publish({ t: 'announce', node: this.node, swarm, peer, ids: [...ids] });
  }

  withdrew(swarm: string, peer: string, ids: readonly string[]): void {
    this.publish({ t: 'withdraw', node: this.node, swarm, peer, ids: [...ids] });
  }

  /** Says goodbye (the others forget this node's peers now) and disconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.alive);
    this.publish({ t: 'bye', node: this.node });
    const quit = (client: Redis) =>
      Promise.race([
        client.quit().catch(() => {}),
        new Promise((resolve) => setTimeout(resolve, CLUSTER_LIMITS.quitMs).unref()),
      ]).finally(() => client.disconnect());
    await Promise.all([quit(this.pub), quit(this.sub)]);
    this.metrics.remove();
  }

  private publish(
    message: BusMessage | RelayMessage,
    channel: string = CLUSTER_CHANNELS.swarms,
  ): void {
    if (this.pub.status !== 'ready') {
      this.metrics.messages.inc({ outcome: 'failed' });
      return;
    }
    this.metrics.messages.inc({ outcome: 'sent' });
    this.pub
      .publish(channel, JSON.stringify(message))
      .catch(() => this.metrics.messages.inc({ outcome: 'failed' }));
  }

  private checkUp(): void {
    if (this.closed) return;
    const up = this.up;
    if (up === this.wasUp) return;
    this.wasUp = up;
    if (!up) {
      this.metrics.outages.inc();
      this.options.log?.('peerconnect: lost Redis; swarms are per node until it is back');
      this.forgetAll();
      return;
    }
    // Back (or first up): the others may have forgotten this node, and it forgot them.
    this.publish({ t: 'sync', node: this.node });
    this.publishState();
  }

  private beat(): void {
    this.publish({ t: 'alive', node: this.node });
    const now = performance.now();
    for (const [node, remote] of this.remotes) {
      if (now - remote.lastSeen > CLUSTER_LIMITS.nodeTtlMs) this.forget(node);
    }
  }

  /** This node's peers and what they hold, as joins and announces of at most a frame's ids. */
  private publishState(): void {
    const step = SIGNALING_LIMITS.maxIdsPerMessage;
    for (const swarm of this.options.directory.all()) {
      for (const joined of swarm.local()) {
        const peer = joined.member.peerId;
        this.joined(swarm.key, peer);
        const ids = [...joined.positions.keys()];
        for (let i = 0; i < ids.length; i += step) {
          this.announced(swarm.key, peer, ids.slice(i, i + step));
        }
      }
    }
  }

  private onMessage(channel: string, text: string): void {
    if (channel === CLUSTER_CHANNELS.swarms) {
      const message = parseBusMessage(text);
      if (!message) return void this.metrics.messages.inc({ outcome: 'bad' });
      if (message.node === this.node) return;
      this.metrics.messages.inc({ outcome: 'received' });
      this.apply(message);
      return;
    }
    const relay = parseRelayMessage(text);
    if (!relay) return void this.metrics.messages.inc({ outcome: 'bad' });
    this.metrics.messages.inc({ outcome: 'received' });
    this.deliver(relay);
  }

  private apply(message: BusMessage): void {
    const remote = this.remote(message.node);
    switch (message.t) {
      case 'alive':
        return;
      case 'sync':
        this.publishState();
        return;
      case 'bye':
        this.forget(message.node);
        return;
      case 'join':
        this.mirrorJoin(remote, message.node, message.swarm, message.peer);
        return;
      case 'leave': {
        const mirrored = remote.peers.get(message.peer);
        if (!mirrored) return;
        remote.peers.delete(message.peer);
        this.options.directory.leave(mirrored.swarm, mirrored.joined);
        return;
      }
      case 'announce':
      case 'withdraw': {
        const mirrored = remote.peers.get(message.peer);
        if (!mirrored || mirrored.swarm.key !== message.swarm) return;
        const { directory } = this.options;
        if (message.t === 'announce') {
          directory.announce(
            mirrored.swarm,
            mirrored.joined,
            message.ids,
            SIGNALING_LIMITS.maxAnnouncedIds,
          );
        } else {
          directory.withdraw(mirrored.swarm, mirrored.joined, message.ids);
        }
        return;
      }
    }
  }

  /** The remote node `node`, seen just now. */
  private remote(node: string): RemoteNode {
    let remote = this.remotes.get(node);
    if (!remote) {
      remote = { lastSeen: 0, peers: new Map() };
      this.remotes.set(node, remote);
    }
    remote.lastSeen = performance.now();
    return remote;
  }

  private mirrorJoin(remote: RemoteNode, node: string, key: string, peer: string): void {
    // A resync repeats joins; a peer id taken here (odds 2^-96) is left out.
    if (remote.peers.has(peer) || this.options.directory.get(key)?.has(peer)) return;
    const member: SwarmMember = {
      peerId: peer,
      node,
      // Quorum notices are that node's to send: it mirrors the same swarm.
      send: () => {},
      relay: (relayed: Relayed) => {
        this.publish({ t: 'relay', swarm: key, to: peer, ...relayed }, CLUSTER_CHANNELS.node(node));
        return undefined;
      },
    };
    remote.peers.set(peer, this.options.directory.join(key, member));
  }

  /** A relay to one of this node's peers, from another node's peer. */
  private deliver({ swarm, to, from, type, frame }: RelayMessage): void {
    const target = this.options.directory.get(swarm)?.member(to);
    if (!target || target.node !== undefined) return;
    // The sender is on another node and cannot be told: the refusal is only counted.
    const refused = target.relay({ from, type, frame });
    if (refused?.reason) this.options.signalMetrics.refuse(refused.reason);
  }

  private forget(node: string): void {
    const remote = this.remotes.get(node);
    if (!remote) return;
    this.remotes.delete(node);
    for (const { swarm, joined } of remote.peers.values())
      this.options.directory.leave(swarm, joined);
  }

  private forgetAll(): void {
    for (const node of [...this.remotes.keys()]) this.forget(node);
  }
}
