import { PATHS } from '../protocol/index.js';
import { type AgentSettings, agentAttributes } from './agent-settings.js';
import { readPageCsp } from './page-csp.js';

/**
 * `async`, not `defer`: a deferred script waits for every pending stylesheet, while the worker
 * holds that stylesheet until an agent is up to fetch it from peers, so a deferred agent would
 * stall the page until the worker's agent deadline. An async script runs as soon as it arrives.
 */
export const AGENT_SCRIPT_TAG = `<script src="${PATHS.agent}" async></script>`;

/**
 * The agent's tag, with the page's CSP nonce when it has one (checked: base64 characters) and
 * the site's agent settings as `data-` attributes.
 */
export function agentScriptTag(nonce: string | undefined, settings: AgentSettings = {}): string {
  const nonceAttribute = nonce === undefined ? '' : ` nonce="${nonce}"`;
  return `<script src="${PATHS.agent}"${nonceAttribute}${agentAttributes(settings)} async></script>`;
}

/**
 * Where the tag goes: after what may precede a page's first element, a UTF-8 BOM (as latin1
 * text), comments, the doctype, `<html ...>` and `<head ...>` (never `<header>`), so the tag
 * lands right after `<head>`, or before the first other element when there is none. Anchored
 * at the start and never past that first element, so a comment or a script string that
 * contains "<head>" is never mistaken for the tag. Inserting before the doctype would switch
 * the page to quirks mode.
 */
const DOCUMENT_PROLOGUE =
  /^(?:\xEF\xBB\xBF)?(?:\s*<!--[\s\S]*?-->)*\s*(?:<!doctype[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*(?:<html(?:\s[^>]*)?>)?(?:(?:\s*<!--[\s\S]*?-->)*\s*<head(?:\s[^>]*)?>)?/i;
const UTF16_BOM_FIRST_BYTES: ReadonlySet<number> = new Set([0xfe, 0xff]);

/** Whether the page's own CSP (meta) lets PeerConnect run; otherwise the server steps aside. */
export function pageAllowsPeerConnect(html: Buffer): boolean {
  return readPageCsp(html.toString('latin1')).allowsPeerConnect;
}

/**
 * Adds the peer agent's script tag, with the page's nonce, to an HTML page (see
 * DOCUMENT_PROLOGUE) with the site's settings, unless the page already loads the agent or its CSP forbids PeerConnect.
 * Works on bytes, so pages in any ASCII-compatible encoding pass through unchanged apart from
 * the tag.
 */
export function injectAgentScript(html: Buffer, settings: AgentSettings = {}): Buffer {
  // latin1 maps each byte to one character, so offsets in the text are offsets in the bytes.
  const text = html.toString('latin1');
  const first = html[0];
  if (text.includes(PATHS.agent) || (first !== undefined && UTF16_BOM_FIRST_BYTES.has(first))) {
    return html;
  }
  const csp = readPageCsp(text);
  if (!csp.allowsPeerConnect) return html;
  const at = DOCUMENT_PROLOGUE.exec(text)?.[0].length ?? 0;
  const tag = Buffer.from(agentScriptTag(csp.nonce, settings), 'latin1');
  return Buffer.concat([html.subarray(0, at), tag, html.subarray(at)]);
}
