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
} as const;
