/** The agent's upload budget per browser session when the site sets none: 50 MB. */
export const DEFAULT_UPLOAD_BUDGET = 50 * 1000 * 1000;

/**
 * What the site asks of its visitors' agents (serve flags), written as `data-` attributes on
 * the injected agent tag: the contract with the page's agent. Absent fields keep its defaults.
 */
export interface AgentSettings {
  /** `data-consent="required"`: no signaling until `peerconnect.optIn()`. */
  readonly requireConsent?: boolean;
  /** Bytes a visitor uploads per browser session; 0 = no uploads. */
  readonly uploadBudget?: number;
  /** Upload cap in bytes per second, all peers together; absent = unlimited. */
  readonly uploadRate?: number;
  /** Upload cap in bytes per second to one peer; absent = unlimited. */
  readonly uploadPeerRate?: number;
  /** Upload on a cellular connection too (the browser says so via navigator.connection). */
  readonly allowCellular?: boolean;
  /** A signaling server elsewhere (ws:// or wss://), for a site whose signaling runs apart. */
  readonly signalUrl?: string;
}

const ATTRIBUTE_ESCAPES: Record<string, string> = { '&': '&amp;', '"': '&quot;', '<': '&lt;' };

/** The `data-` attributes (with a leading space each) for the settings that differ from defaults. */
export function agentAttributes(settings: AgentSettings): string {
  const attributes: Array<[string, string]> = [];
  if (settings.requireConsent) attributes.push(['data-consent', 'required']);
  if (settings.uploadBudget !== undefined && settings.uploadBudget !== DEFAULT_UPLOAD_BUDGET) {
    attributes.push(['data-upload-budget', String(settings.uploadBudget)]);
  }
  if (settings.uploadRate !== undefined) {
    attributes.push(['data-upload-rate', String(settings.uploadRate)]);
  }
  if (settings.uploadPeerRate !== undefined) {
    attributes.push(['data-upload-peer-rate', String(settings.uploadPeerRate)]);
  }
  if (settings.allowCellular) attributes.push(['data-cellular', 'allow']);
  if (settings.signalUrl !== undefined) attributes.push(['data-signal', settings.signalUrl]);
  return attributes
    .map(
      ([name, value]) => ` ${name}="${value.replace(/[&"<]/g, (c) => ATTRIBUTE_ESCAPES[c] ?? c)}"`,
    )
    .join('');
}
