import * as v from 'valibot';
import { DialStatsSchema } from './dial.js';
import { ERROR_MESSAGES, type ErrorCode } from './errors.js';
import { SHA256_HEX } from './hash.js';
import { ManifestAssetSchema, parseManifestAsset } from './manifest.js';
import { parseWith } from './validate.js';

/**
 * Messages between the service worker and the page's peer agent (the leader tab), and the
 * reports the worker sends to each page. Everything arriving over postMessage is validated
 * here: a message from another script of the origin or a stale bundle must not crash either side.
 * The agent needs no manifest: each `pc:fetch` carries the asset's record, so one swarm serves
 * every release, and assets are named by content hash.
 *
 *  agent ──pc:agent-hello {protocol} [agentPort]──▶ worker   (registration.active.postMessage)
 *  worker ──pc:ready {protocol}──▶ agent                     (agentPort; join the swarm now)
 *  worker ──pc:fetch {asset record} [replyPort]──▶ agent     (agentPort, one reply port per request)
 *  agent ──pc:accepted, pc:chunk* then nothing, or pc:unavailable / pc:failed──▶ worker  (replyPort)
 *  worker ──pc:cancel──▶ agent                               (replyPort)
 *  worker ──pc:stored {sha256}──▶ agent                      (agentPort)
 *  worker ──pc:served──▶ page                                (client.postMessage)
 *  worker ──pc:need-agent, pc:disable──▶ every tab, leader ──pc:leader-stats──▶ every tab  (BroadcastChannel)
 *
 * Versions: the worker talks to an agent only if its hello names BRIDGE_PROTOCOL, and an agent
 * answers a `pc:fetch` it cannot read with `pc:unavailable`; either mismatch degrades to the
 * origin, never to a broken page.
 */

/** Version of the worker↔agent protocol; bump on any incompatible change. */
export const BRIDGE_PROTOCOL = 2;

export const BROADCAST_CHANNEL_NAME = 'peerconnect';

const Uint = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const Sha256 = v.pipe(v.string(), v.regex(SHA256_HEX));
const Code = v.picklist(Object.keys(ERROR_MESSAGES) as [ErrorCode, ...ErrorCode[]]);

const AgentHello = v.object({
  type: v.literal('pc:agent-hello'),
  enabled: v.boolean(),
  // Optional so that a hello from an agent of an older release parses (and is then not used).
  protocol: v.optional(Uint),
});
const AgentBye = v.object({ type: v.literal('pc:agent-bye') });
export type AgentToWorkerMessage =
  | v.InferOutput<typeof AgentHello>
  | v.InferOutput<typeof AgentBye>;

const WorkerToAgentSchema = v.variant('type', [
  v.object({ type: v.literal('pc:ready'), protocol: Uint }),
  v.object({ type: v.literal('pc:fetch'), id: Uint, asset: ManifestAssetSchema }),
  v.object({ type: v.literal('pc:stored'), sha256: Sha256 }),
]);
export type WorkerToAgentMessage = v.InferOutput<typeof WorkerToAgentSchema>;

const ReplySchema = v.variant('type', [
  /** Sent at once on every `pc:fetch`: the agent's tab is alive (not frozen or hung). */
  v.object({ type: v.literal('pc:accepted') }),
  v.object({ type: v.literal('pc:chunk'), index: Uint, data: v.instance(ArrayBuffer) }),
  v.object({ type: v.literal('pc:unavailable'), code: Code }),
  v.object({ type: v.literal('pc:failed'), code: Code }),
]);
export type AgentReplyMessage = v.InferOutput<typeof ReplySchema>;

const CancelSchema = v.object({ type: v.literal('pc:cancel') });
export type CancelMessage = v.InferOutput<typeof CancelSchema>;

export const ASSET_SOURCES = ['cache', 'peer', 'origin'] as const;
export type AssetSource = (typeof ASSET_SOURCES)[number];

const ServedSchema = v.object({
  type: v.literal('pc:served'),
  path: v.pipe(v.string(), v.maxLength(4096)),
  /** Where most of the bytes came from. */
  source: v.picklist(ASSET_SOURCES),
  peer: Uint,
  origin: Uint,
  cache: Uint,
});
export type ServedReport = v.InferOutput<typeof ServedSchema>;

const BroadcastSchema = v.variant('type', [
  v.object({ type: v.literal('pc:need-agent') }),
  /** The site owner stood PeerConnect down: agents close every connection and stay closed. */
  v.object({ type: v.literal('pc:disable') }),
  v.object({
    type: v.literal('pc:leader-stats'),
    bytesUploaded: Uint,
    peers: Uint,
    // Optional: a tab of an older release may lead this one's tabs.
    dialFailures: v.optional(DialStatsSchema.entries.dialFailures),
    candidatePairs: v.optional(DialStatsSchema.entries.candidatePairs),
  }),
]);
export type BroadcastMessage = v.InferOutput<typeof BroadcastSchema>;

function parser<T>(schema: v.GenericSchema<unknown, T>) {
  return (input: unknown): T => parseWith(schema, input, 'bad-bridge-message');
}

export const parseAgentToWorker = parser(v.variant('type', [AgentHello, AgentBye]));
const parseWorkerToAgentShape = parser(WorkerToAgentSchema);
/** Also checks a fetched asset's chunk list against its size. */
export function parseWorkerToAgent(input: unknown): WorkerToAgentMessage {
  const message = parseWorkerToAgentShape(input);
  if (message.type === 'pc:fetch') parseManifestAsset(message.asset);
  return message;
}
export const parseAgentReply = parser(ReplySchema);
export const parseCancel = parser(CancelSchema);
export const parseServedReport = parser(ServedSchema);
export const parseBroadcast = parser(BroadcastSchema);
