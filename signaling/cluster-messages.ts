import * as v from 'valibot';
import { CONTENT_ID, SIGNALING_LIMITS } from '../protocol/index.js';

/**
 * What signaling nodes tell each other through Redis pub/sub (cluster.ts). Every node hears
 * every swarm event on CLUSTER_CHANNELS.swarms and mirrors it; relays go to the one node that
 * holds the receiver's socket, on its own channel. Each message is O(its ids) to apply, and
 * the ids per message are capped like a client's, so no message costs any node more than a
 * client's own announce would.
 */

export const CLUSTER_CHANNELS = {
  /** Joins, leaves, announces, withdraws of every swarm; node liveness and resync. */
  swarms: 'peerconnect:swarms',
  /** Relays to the peers whose sockets are on node `id`. */
  node: (id: string) => `peerconnect:node:${id}`,
} as const;

/** Largest bus message a node accepts: a full announce, or a relayed frame, with its envelope. */
export const MAX_CLUSTER_MESSAGE_BYTES = 2 * SIGNALING_LIMITS.maxMessageBytes;

const NodeId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{16}$/));
const PeerId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{16}$/));
const SwarmKey = v.pipe(v.string(), v.minLength(1), v.maxLength(2048));
const Ids = v.pipe(
  v.array(v.pipe(v.string(), v.regex(CONTENT_ID))),
  v.minLength(1),
  v.maxLength(SIGNALING_LIMITS.maxIdsPerMessage),
);

const BusMessageSchema = v.variant('t', [
  v.object({ t: v.literal('join'), node: NodeId, swarm: SwarmKey, peer: PeerId }),
  v.object({ t: v.literal('leave'), node: NodeId, swarm: SwarmKey, peer: PeerId }),
  v.object({ t: v.literal('announce'), node: NodeId, swarm: SwarmKey, peer: PeerId, ids: Ids }),
  v.object({ t: v.literal('withdraw'), node: NodeId, swarm: SwarmKey, peer: PeerId, ids: Ids }),
  /** The node is up (its peers stay mirrored while these keep coming). */
  v.object({ t: v.literal('alive'), node: NodeId }),
  /** The node (re)connected: everyone republishes its own peers so it can mirror them. */
  v.object({ t: v.literal('sync'), node: NodeId }),
  /** The node is shutting down: forget its peers now. */
  v.object({ t: v.literal('bye'), node: NodeId }),
]);
export type BusMessage = v.InferOutput<typeof BusMessageSchema>;

const RelayMessageSchema = v.object({
  t: v.literal('relay'),
  swarm: SwarmKey,
  to: PeerId,
  from: PeerId,
  type: v.picklist(['offer', 'answer', 'candidate']),
  frame: v.pipe(v.string(), v.maxLength(SIGNALING_LIMITS.maxMessageBytes)),
});
export type RelayMessage = v.InferOutput<typeof RelayMessageSchema>;

function parse<T>(schema: v.GenericSchema<unknown, T>, text: string): T | undefined {
  if (text.length > MAX_CLUSTER_MESSAGE_BYTES) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const result = v.safeParse(schema, json);
  return result.success ? result.output : undefined;
}

/** A swarm-channel message, or undefined for anything malformed (dropped and counted). */
export const parseBusMessage = (text: string) => parse(BusMessageSchema, text);
/** A node-channel message, or undefined for anything malformed. */
export const parseRelayMessage = (text: string) => parse(RelayMessageSchema, text);
