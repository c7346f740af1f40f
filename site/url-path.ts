/** Characters a file name may hold that the URL parser would not percent-encode itself. */
const URL_SPECIAL_CHARS = /[%?#\\\t\n\r]/g;
const URL_BASE = 'http://x';

function percentEncodeChar(char: string): string {
  return `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
}

/**
 * The URL path a browser requests for a file at `segments` (relative to the site root):
 * each segment encoded as `new URL(...).pathname` would, after encoding the characters the URL
 * parser treats as syntax ('%', '?', '#', '\\', tabs and newlines), so that decoding each
 * segment gives the file name back (which is how `serve` finds the file).
 */
export function urlPathFor(segments: readonly string[]): string {
  const encoded = segments.map((name) => name.replace(URL_SPECIAL_CHARS, percentEncodeChar));
  return new URL(`/${encoded.join('/')}`, URL_BASE).pathname;
}
