/**
 * How long the worker gives the peer path before the origin takes over. The visitor must never
 * wait on a swarm: every step has a budget, and what is missing then comes from the origin.
 */
export const DEADLINES = {
  /** A fetch that finds no peer agent waits this long for one to (re)connect. */
  agentWaitMs: 1500,
  /** After a wait for an agent ran out, fetches skip the wait for this long. */
  agentMissingBackoffMs: 30_000,
  /**
   * The agent answers every request at once (`pc:accepted`): a leader tab frozen in the
   * background or stuck in a long task does not, and costs the page no more than this before
   * the origin takes over. Generous for a busy tab that is parsing or laying out a page.
   */
  agentAnswerMs: 750,
  /**
   * After an agent missed agentAnswerMs, requests go to the origin without asking it for this
   * long: a page's burst of requests pays the wait once, and a tab back from a long task
   * serves again soon.
   */
  agentUnresponsiveBackoffMs: 5000,
  /** From asking the agent to the first verified chunk (signaling + WebRTC connect + transfer). */
  firstChunkMs: 4000,
  /** Longest pause between two chunks before the origin serves the rest. */
  stallMs: 2000,
  /**
   * A throughput floor for peers, so a peer that trickles just inside the stall deadline cannot
   * hold an asset: after the first chunk, peers get this long plus the asset's size at
   * `minPeerBytesPerSecond`, then the origin serves the rest. 256 KiB/s (2 Mbit/s) is below what
   * one of four uploads sharing a 10 Mbit/s home uplink gets, and below any origin worth having.
   */
  peerGraceMs: 1000,
  minPeerBytesPerSecond: 256 * 1024,
  /** The manifest is revalidated on navigations at most this often. */
  manifestRevalidateMs: 30_000,
  /** The manifest request, body included: a stalled one must not hold routed requests. */
  manifestFetchMs: 3000,
  /**
   * Finding a path's record (root and shard, from memory, the store or the network): past this
   * the request goes to the origin as if PeerConnect were not there, and the fetch goes on.
   */
  resolveMs: 1500,
  /** A response naming another release refreshes the root at most this often. */
  releaseRecheckMs: 5000,
  /**
   * A navigation whose network answer takes longer than this (or fails, or is a 5xx) gets the
   * stored copy of the page when there is one: a down origin must not hold a returning visitor.
   */
  offlineNavigationMs: 3000,
} as const;

/**
 * Assets larger than this are not fetched through peers: the worker buffers an asset until it
 * is verified and stored, and large media has its own path (ranges). They go to the origin.
 */
export const MAX_PEER_ASSET_BYTES = 64 * 1024 * 1024;
