/**
 * Bodies read with a ceiling: what the network sends is bounded by what the worker accepts,
 * not by what the server (or a proxy) chooses to send.
 */

/** The stream's pieces, or undefined past `cap` bytes (the stream is then cancelled) or on error. */
export async function readCapped(
  stream: ReadableStream<Uint8Array>,
  cap: number,
): Promise<Uint8Array[] | undefined> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return parts;
      total += value.byteLength;
      if (total > cap) {
        await reader.cancel();
        return undefined;
      }
      parts.push(value);
    }
  } catch {
    return undefined;
  }
}

/** A response's body as one array, or undefined when it is missing, over `cap` bytes or broken. */
export async function bodyCapped(
  response: Response,
  cap: number,
): Promise<Uint8Array<ArrayBuffer> | undefined> {
  if (!response.body) return undefined;
  const parts = await readCapped(response.body, cap);
  if (!parts) return undefined;
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.byteLength;
  }
  return bytes;
}
