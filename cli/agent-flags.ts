import type { AgentSettings } from '../server/index.js';
import { CliError } from './errors.js';
import { parseSize } from './size-arg.js';

/** The serve flags that become the agent's settings (data- attributes on its tag). */
export const AGENT_FLAG_OPTIONS = {
  'require-consent': { type: 'boolean' },
  'upload-budget': { type: 'string' },
  'upload-rate': { type: 'string' },
  'upload-peer-rate': { type: 'string' },
  'allow-cellular-uploads': { type: 'boolean' },
  'signal-url': { type: 'string' },
} as const;

export interface AgentFlagValues {
  'require-consent'?: boolean;
  'upload-budget'?: string;
  'upload-rate'?: string;
  'upload-peer-rate'?: string;
  'allow-cellular-uploads'?: boolean;
  'signal-url'?: string;
}

/** Reads the agent flags; throws CliError('usage') for a bad size, rate or URL. */
export function agentSettingsOf(values: AgentFlagValues): AgentSettings {
  const rate = (flag: keyof AgentFlagValues) => {
    const text = values[flag];
    if (typeof text !== 'string') return undefined;
    // A rate may be written with its unit, as in 1MB/s.
    const bytes = parseSize(`--${flag}`, text.replace(/\/s$/i, ''));
    // 0 would read as "no cap" to some and "no uploads" to others: --upload-budget 0 says the latter.
    if (bytes === 0) throw new CliError('usage', `--${flag} must be above 0 (bytes per second)`);
    return bytes;
  };
  const budget = values['upload-budget'];
  const uploadRate = rate('upload-rate');
  const uploadPeerRate = rate('upload-peer-rate');
  const signalUrl = values['signal-url'];
  return {
    ...(values['require-consent'] && { requireConsent: true }),
    ...(budget !== undefined && { uploadBudget: parseSize('--upload-budget', budget) }),
    ...(uploadRate !== undefined && { uploadRate }),
    ...(uploadPeerRate !== undefined && { uploadPeerRate }),
    ...(values['allow-cellular-uploads'] && { allowCellular: true }),
    ...(signalUrl !== undefined && { signalUrl: signalUrlOf(signalUrl) }),
  };
}

function signalUrlOf(text: string): string {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (!url || (url.protocol !== 'ws:' && url.protocol !== 'wss:')) {
    throw new CliError('usage', `--signal-url must be a ws:// or wss:// URL, not '${text}'`);
  }
  return url.href;
}
