/** An inclusive byte range of a representation, as in `Content-Range: bytes start-end/size`. */
export interface ByteRange {
  start: number;
  end: number;
}

/** One range, with optional whitespace: `bytes=0-499`, `bytes=500-`, `bytes=-500`. */
const SINGLE_RANGE = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i;

/**
 * Reads a `Range` header against a body of `size` bytes (RFC 9110 §14); the origin and the
 * worker's answers from its store both use it, so they answer a range alike. Returns undefined
 * when the whole body should be sent: no header (undefined from Node, null from Fetch `Headers`),
 * another unit, a malformed or inverted range, or several ranges (multipart answers are not worth
 * their weight for an asset origin).
 */
export function parseRange(
  header: string | null | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  const match = header == null ? null : SINGLE_RANGE.exec(header);
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '') {
    if (last === '') return undefined;
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}

export function unsatisfiedRange(size: number): string {
  return `bytes */${size}`;
}
