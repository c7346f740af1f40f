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
  /**
   * A client with this much of its own answers unsent is not reading: close it rather than
   * buffer. Relays from other peers stop at relayBufferMark, well below, so no member can push
   * another one over this.
   */
  maxSendBufferBytes: 1024 * 1024,
  /** Past this much unsent data, relays to a client are dropped (the senders told), not queued. */
  relayBufferMark: 64 * 1024,
  /** Relayed messages one client receives per second from all senders together... */
  relayFanInPerSecond: 200,
  /** ...and at once (sixteen peers dialling it together, each with an offer and candidates). */
  relayFanInBurst: 400,
  /** Messages per second one peer may relay to one other within a negotiation... */
  pairRelayPerSecond: 30,
  /** ...and at once (an offer or answer and its first ICE candidates). */
  pairRelayBurst: 60,
  /**
   * How long a peer named in a `found` answer may be offered to, and how long a negotiation
   * (an offer, its answer and the candidates both ways) stays open after the offer.
   */
  relayWindowMs: 30_000,
  /** Peers from `found` answers a connection remembers (oldest forgotten first). */
  maxFoundMemory: 128,
  /** Offers a connection may have open at once (the agent dials far fewer). */
  maxOpenOffers: 32,
  /** Offers from others a connection remembers, to let it answer them (oldest forgotten first). */
  maxOffersReceived: 64,
  /**
   * Open connections per client address (an IPv4 address, an IPv6 /64): a household or an
   * office behind one NAT, with a tab each, fits; one process opening thousands does not.
   */
  maxConnectionsPerAddress: 32,
  /** New connections per client address per minute, sustained... */
  connectionsPerAddressPerMinute: 60,
  /** ...and at once. */
  connectionBurstPerAddress: 60,
  /**
   * Content ids the connections of one address may have announced together: two sockets at
   * SIGNALING_LIMITS.maxAnnouncedIds, so one address holds at most ~20 MB of the index.
   */
  maxAnnouncedIdsPerAddress: 131_072,
  /** How often state of addresses with no connections and a full join bucket is dropped. */
  addressSweepMs: 60_000,
  /** On shutdown, clients get this long to complete the close handshake before being cut. */
  closeGraceMs: 1_000,
} as const;

/**
 * WebSocket close codes (RFC 6455 §7.4.1) the server sends; 4000–4999 are for applications.
 * A refused upgrade gets an HTTP status instead (UPGRADE_STATUS), since no socket exists yet.
 */
export const CLOSE_CODES = {
  goingAway: 1001,
  /** A frame over SIGNALING_LIMITS.maxMessageBytes (ws sends it itself). */
  tooLarge: 1009,
  /** A `join` that names another SIGNALING_PROTOCOL. */
  protocolMismatch: 4000,
  /** Kept sending faster than the rate limits after being told (`error rate-limited`). */
  rateLimited: 4001,
  /** maxBadMessagesInARow malformed messages in a row. */
  malformed: 4002,
  /** Left maxSendBufferBytes of its own answers unread. */
  notReading: 4003,
} as const;

/** HTTP statuses of refused upgrades. */
export const UPGRADE_STATUS = {
  badRequest: 400,
  forbidden: 403,
  tooManyRequests: 429,
} as const;

/** Why the server refused something: the label of peerconnect_signal_refusals_total. */
export const REFUSAL_REASONS = [
  // At the upgrade (HTTP status, no socket).
  'bad-host',
  'origin',
  'address-connections',
  'address-rate',
  // Closes.
  'protocol-mismatch',
  'rate-limited',
  'malformed',
  'not-reading',
  'too-large',
  'no-pong',
  // Relays dropped (the sender is told with an error; nobody is closed).
  'relay-not-asked',
  'relay-offer-open',
  'relay-too-many-offers',
  'relay-pair-rate',
  'relay-fan-in',
  'relay-receiver-busy',
  'relay-too-large',
  // Announcements past the address's share.
  'address-announced',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** `minSwarm` when SignalingOptions leave it out: any one other peer, so two visitors work. */
export const DEFAULT_MIN_SWARM = 1;
