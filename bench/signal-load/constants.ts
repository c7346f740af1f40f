/** Every size, rate and deadline of the signaling load bench, in one place. */
export const LOAD_DEFAULTS = {
  /** Peers to hold at once: the goal (it needs 3 server nodes; one is capped by fds). */
  peers: 50_000,
  /** Client processes (each holds its share of the sockets, under its own fd limit). */
  processes: 3,
  /** Relayed messages per second, all client processes together (the goal rate). */
  rate: 2_000,
  /** Length of the relay phase at peak, after the ramp. */
  seconds: 20,
  /** The ramp stops here with whatever it reached. */
  rampSeconds: 120,
} as const;

export const LOAD_LIMITS = {
  /** File descriptors a process keeps for itself (stdio, IPC, listeners, files, timers). */
  fdReserve: 100,
  /** Handshakes one client process has in flight at once while ramping. */
  connectConcurrency: 64,
  /** A handshake or welcome slower than this counts as a failed connection. */
  joinTimeoutMs: 15_000,
  /** How often a peer asks again for its partner's content id when the answer was empty. */
  findRetryMs: 250,
  findRetries: 20,
  /** The relay scheduler's tick: exchanges are started in batches this often. */
  tickMs: 10,
  /** After the relay phase, in-flight exchanges get this long to finish before counting as lost. */
  drainMs: 3_000,
  /** Let the server's heap settle before an RSS reading. */
  settleMs: 1_500,
  /** Worker progress reports while ramping. */
  progressMs: 500,
  /** Time for the server to print its URL (it loads the CLI through tsx). */
  serverStartMs: 30_000,
  /** SIGTERM, then SIGKILL after this long. */
  stopMs: 5_000,
  /** Slack on top of ramp + relay phases before the whole run is abandoned. */
  runSlackMs: 90_000,
  /** Answers a worker must give to a command (fork, close). */
  workerReplyMs: 30_000,
} as const;

/**
 * What a peer does: every peer announces its own content id and the site's shared ones, and
 * asks for its partner's id and one shared id (a popular asset, so holder lists grow with N).
 */
export const PEER_BEHAVIOUR = {
  /** Above every peer's own id (its index in hex), so the two never collide. */
  sharedIds: ['ffffffffffff0001', 'ffffffffffff0002', 'ffffffffffff0003'],
  /** Bytes of a relayed SDP: a data-channel-only offer is ~600–800 bytes. */
  sdpBytes: 700,
  /** Messages in one exchange: offer, answer, and a candidate each way. */
  messagesPerExchange: 4,
} as const;

/**
 * Client source addresses: peer g binds 127.0.(1 + g / 250).(1 + g % 250), so each address
 * holds one socket (per-address caps never bite) and 127.0.0.1, the server's, is never used.
 */
export const ADDRESSES_PER_BLOCK = 250;
export const MAX_PEERS = ADDRESSES_PER_BLOCK * 254;
