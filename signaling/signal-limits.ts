/** Policy of the signaling server: every rate, deadline and tolerance in one place. */
export const SIGNAL_SERVER_LIMITS = {
  /** Ping every client this often; one that has not ponged since the previous ping is dropped. */
  heartbeatIntervalMs: 30_000,
  /** Sustained messages per second per connection (a WebRTC negotiation is ~10–30 messages). */
  messagesPerSecond: 100,
  /** Messages a connection may send at once before the per-second rate applies. */
  messageBurst: 200,
  /** Dropped (rate-limited) messages tolerated at once before the connection is closed... */
  droppedBurst: 100,
  /** ...and per second over time: a client that keeps exceeding the rate by more is closed. */
  droppedPerSecond: 10,
  /**
   * Sustained `find`s per second per connection, within the message rate: a page load asks
   * once per asset it loads, while learning who holds what across a site would need one per
   * content id, so this is what makes enumerating holders slow.
   */
  findsPerSecond: 20,
  /** `find`s a connection may send at once (a page's first burst of assets). */
  findBurst: 100,
  /** Malformed messages in a row before the connection is closed: a client that bad is broken. */
  maxBadMessagesInARow: 10,
  /** A client with this much unsent data queued is not reading; drop it rather than buffer. */
  maxSendBufferBytes: 1024 * 1024,
  /** On shutdown, clients get this long to complete the close handshake before being cut. */
  closeGraceMs: 1_000,
} as const;

/** WebSocket close codes (RFC 6455 §7.4.1) the server sends. */
export const CLOSE_CODES = {
  goingAway: 1001,
  policyViolation: 1008,
  /** A `join` that names another SIGNALING_PROTOCOL (4000–4999 are for applications). */
  protocolMismatch: 4000,
} as const;

/** `minSwarm` when SignalingOptions leave it out: any one other peer, so two visitors work. */
export const DEFAULT_MIN_SWARM = 1;
