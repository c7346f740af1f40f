import * as v from 'valibot';
import { DialStatsSchema } from './dial.js';
import { ERROR_MESSAGES, type ErrorCode } from './errors.js';
import { SHA256_HEX } from './hash.js';
import { parseWith } from './validate.js';

/**
 * Messages between the service worker and the page's peer agent (the leader tab), and the
 * reports the worker sends to each page. Everything arriving over postMessage is validated
 * here: a message from another script of the origin or a stale bundle must not crash either side.
 *
 *  agent ──pc:agent-hello [agentPort]──▶ worker        (registration.active.postMessage)
 *  worker ──pc:manifest──▶ agent                       (agentPort)
 *  worker ──pc:fetch [replyPort]──▶ agent              (agentPort, one reply port per request)
 *  agent ──pc:chunk* then nothing, or pc:unavailable / pc:failed──▶ worker  (replyPort)
 *  worker ──pc:cancel──▶ agent                         (replyPort)
 *  worker ──pc:stored──▶ agent                         (agentPort)
 *  worker ──pc:served──▶ page                          (client.postMessage)
 *  worker ──pc:need-agent──▶ every tab, leader ──pc:leader-stats──▶ every tab  (BroadcastChannel)
 */

export const BROADCAST_CHANNEL_NAME = 'peerconnect';

const Uint = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const Version = v.pipe(v.string(), v.regex(SHA256_HEX));
const Code = v.picklist(Object.keys(ERROR_MESSAGES) as [ErrorCode, ...ErrorCode[]]);

const AgentHello = v.object({ type: v.literal('pc:agent-hello'), enabled: v.boolean() });
const AgentBye = v.object({ type: v.literal('pc:agent-bye') });
export type AgentToWorkerMessage =
  | v.InferOutput<typeof AgentHello>
  | v.InferOutput<typeof AgentBye>;

const WorkerToAgentSchema = v.variant('type', [
  v.object({ type: v.literal('pc:manifest'), manifest: v.unknown() }),
  v.object({ type: v.literal('pc:fetch'), id: Uint, asset: Uint, manifestVersion: Version }),
  v.object({ type: v.literal('pc:stored'), asset: Uint, manifestVersion: Version }),
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
export const parseWorkerToAgent = parser(WorkerToAgentSchema);
export const parseAgentReply = parser(ReplySchema);
export const parseCancel = parser(CancelSchema);
export const parseServedReport = parser(ServedSchema);
export const parseBroadcast = parser(BroadcastSchema);
