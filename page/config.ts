import { KIB, MB, MIB } from '../protocol/index.js';

/** Every deadline, size and limit of the peer agent, in one place. */
export const AGENT_LIMITS = {
  /**
   * A WebRTC connection that is not open by then is dropped, and its peer counts as unreachable
   * (loopback: 0.1–0.2 s; across NATs with STUN or a TURN relay, seconds). Nothing waits on it:
   * requests wait only `peerDialWaitMs`, and the connection goes on in the background.
   */
  peerConnectTimeoutMs: 8000,
  /**
   * How long a request waits for a connection still being set up before it goes to the origin
   * (the connection goes on for later requests). In the NAT test bed (npm run bench -- nat,
   * +0 ms on peer paths) a visitor behind a full-cone NAT had its first peer-served byte 450–950
   * ms after its first request, join, find and first chunk included; with 1000 ms an unreachable
   * seeder cost 1.45x the page time of nobody in the swarm, over the 1.25x + 300 ms goal.
   */
  peerDialWaitMs: 700,
  /** Peers whose connection failed are not dialled again; the list is capped. */
  maxUnreachablePeers: 256,
  /** A peer that sends nothing for a request this long loses it to another peer or the origin. */
  peerStallMs: 1500,
  /** Join the swarm within this or give up on peers for pending requests. */
  signalingJoinTimeoutMs: 2000,
  /**
   * Data channel send queue: pause above the high mark, resume below the low (Chromium throws
   * near 16 MiB). With 4 MiB a page's worth of assets burst into SCTP at once, and on a busy
   * 2-core machine one visitor in three waited out a retransmission stall of ~1.5 s; 512 KiB
   * removed most of those and still carries a 16 MiB asset at 15–21 MB/s (npm run bench).
   */
  sendHighWaterMark: 512 * KIB,
  sendLowWaterMark: 128 * KIB,
  /** Chunks asked for in one request (16 × 64 KiB = 1 MiB) and requests in flight per peer. */
  chunksPerRequest: 16,
  requestsInFlightPerPeer: 2,
  /** Peers one download spreads over, and peer connections held at once. */
  peersPerDownload: 3,
  maxPeerConnections: 16,
  /** Uploads served at once; more wait in a queue, and past the queue get `busy`. */
  maxConcurrentUploads: 8,
  maxQueuedUploads: 256,
  /** One peer's share of those, so no single downloader can take every slot. */
  maxConcurrentUploadsPerPeer: 4,
  maxQueuedUploadsPerPeer: 96,
  /** A peer that does not read what we send for this long is dropped (it holds an upload slot). */
  sendDrainTimeoutMs: 10_000,
  /**
   * Upload budget per browser session unless the site sets one (`data-upload-budget`): 50 MB,
   * what a phone user on a metered plan accepts; the visitor's bandwidth is theirs.
   */
  uploadBudgetBytes: 50 * MB,
  /** Burst of an upload rate cap: one request's worth (16 chunks), so pacing starts past it. */
  uploadBurstBytes: 1 * MIB,
  /** A connection with no transfer for this long is closed to free resources... */
  peerIdleMs: 120_000,
  /** ...checked this often. */
  peerIdleSweepMs: 10_000,
  /** From opening the signaling socket to `welcome`; past it signaling counts as down. */
  signalingConnectTimeoutMs: 3000,
  /** A `find` unanswered this long rejects with peer-timeout, so the caller goes to the origin. */
  signalingFindTimeoutMs: 2000,
  /** Peers banned for a bad chunk, kept in sessionStorage (the oldest are forgotten first). */
  maxBannedPeers: 256,
  /** A worker that asks for an agent within this of the last hello is answered by that hello. */
  needAgentDebounceMs: 300,
  /** Links to the worker kept open after newer ones (each worker restart makes one). */
  workerPortsKept: 4,
  /** How often the leader tells the other tabs its upload and peer counts. */
  leaderStatsIntervalMs: 1000,
} as const;

/** Signaling reconnect delays: doubling from `initialMs` up to `maxMs`, jittered (backoff.ts). */
export const BACKOFF = {
  initialMs: 500,
  maxMs: 30_000,
} as const;
