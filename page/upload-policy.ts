import { AGENT_LIMITS } from './config.js';
import { debug } from './log.js';

/** What a visitor's browser gives peers, as the site set it on the agent's script tag. */
export interface UploadPolicy {
  /** Bytes one browser session uploads in all (`data-upload-budget`; 0: no uploads). */
  budgetBytes: number;
  /** Bytes per second to all peers together (`data-upload-rate`); undefined: no cap. */
  rateBytesPerSec: number | undefined;
  /** Bytes per second to any one peer (`data-upload-peer-rate`); undefined: no cap. */
  peerRateBytesPerSec: number | undefined;
  /** Upload on a connection the browser reports as cellular (`data-cellular="allow"`). */
  allowCellular: boolean;
}

/** Why this visitor uploads nothing right now (downloads from peers go on). */
export type UploadPause = 'budget' | 'cellular';

const WHOLE_NUMBER = /^\d{1,15}$/;

/** A whole number of bytes from a data- attribute; a malformed one is ignored (with a debug line). */
function bytesAttribute(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = WHOLE_NUMBER.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (Number.isSafeInteger(value) && value >= min) return value;
  debug(`ignored ${name}="${raw}": not a whole number of bytes >= ${min}`);
  return undefined;
}

export function uploadPolicyOf(dataset: DOMStringMap | undefined): UploadPolicy {
  return {
    budgetBytes:
      bytesAttribute('data-upload-budget', dataset?.uploadBudget, 0) ??
      AGENT_LIMITS.uploadBudgetBytes,
    rateBytesPerSec: bytesAttribute('data-upload-rate', dataset?.uploadRate, 1),
    peerRateBytesPerSec: bytesAttribute('data-upload-peer-rate', dataset?.uploadPeerRate, 1),
    allowCellular: dataset?.cellular === 'allow',
  };
}

interface NetworkInformationLike extends EventTarget {
  type?: string;
}

function connection(): NetworkInformationLike | undefined {
  const browser = globalThis.navigator as
    | (Navigator & { connection?: NetworkInformationLike })
    | undefined;
  return browser?.connection;
}

/** True where the browser says the connection is cellular (Chrome on Android; desktops say nothing). */
export function onCellular(): boolean {
  return connection()?.type === 'cellular';
}

/** Calls `listener` when the connection type may have changed; returns an unsubscriber. */
export function onConnectionChange(listener: () => void): () => void {
  const target = connection();
  target?.addEventListener('change', listener);
  return () => target?.removeEventListener('change', listener);
}

/** Whether uploads are paused now, and why: the budget is spent, or cellular and not allowed. */
export function uploadPause(policy: UploadPolicy, bytesUploaded: number): UploadPause | undefined {
  if (bytesUploaded >= policy.budgetBytes) return 'budget';
  if (!policy.allowCellular && onCellular()) return 'cellular';
  return undefined;
}
