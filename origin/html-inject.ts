import { PATHS } from '../protocol/index.js';

/**
 * `async`, not `defer`: a deferred script waits for every pending stylesheet, while the worker
 * holds that stylesheet until an agent is up to fetch it from peers, so a deferred agent would
 * stall the page until the worker's agent deadline. An async script runs as soon as it arrives.
 */
export const AGENT_SCRIPT_TAG = `<script src="${PATHS.agent}" async></script>`;
const AGENT_TAG_BYTES = Buffer.from(AGENT_SCRIPT_TAG);

/** `<head>` or `<head lang=...>`, never `<header>`. */
const HEAD_OPEN_TAG = /<head(?:\s[^>]*)?>/i;
/**
 * What may precede the first element of a page without a `<head>`: a UTF-8 BOM (as latin1
 * text), comments, the doctype and the `<html>` tag. Inserting before the doctype would switch
 * the page to quirks mode.
 */
const DOCUMENT_PROLOGUE =
  /^(?:\xEF\xBB\xBF)?(?:\s*<!--[\s\S]*?-->)*\s*(?:<!doctype[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*(?:<html(?:\s[^>]*)?>)?/i;
const UTF16_BOM_FIRST_BYTES: ReadonlySet<number> = new Set([0xfe, 0xff]);

/**
 * Adds the peer agent's script tag to an HTML page: right after `<head ...>`, or when there is
 * none after the prologue, unless the page already loads the agent. Works on bytes, so pages in
 * any ASCII-compatible encoding pass through unchanged apart from the tag.
 */
export function injectAgentScript(html: Buffer): Buffer {
  // latin1 maps each byte to one character, so offsets in the text are offsets in the bytes.
  const text = html.toString('latin1');
  const first = html[0];
  if (text.includes(PATHS.agent) || (first !== undefined && UTF16_BOM_FIRST_BYTES.has(first))) {
    return html;
  }
  const head = HEAD_OPEN_TAG.exec(text);
  const at = head ? head.index + head[0].length : (DOCUMENT_PROLOGUE.exec(text)?.[0].length ?? 0);
  return Buffer.concat([html.subarray(0, at), AGENT_TAG_BYTES, html.subarray(at)]);
}
