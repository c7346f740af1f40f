import { createHash } from 'node:crypto';
import { CHUNK_SIZE, type ManifestAsset } from '../protocol/index.js';

/** Shared by the page tests: hashing, manifest entries and waiting on asynchronous work. */

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A manifest entry for `bytes`, with the whole-file and per-chunk hashes the origin publishes. */
export function assetOf(
  path: string,
  bytes: Uint8Array,
  type = 'application/octet-stream',
): ManifestAsset {
  const chunks: string[] = [];
  for (let at = 0; at < bytes.length; at += CHUNK_SIZE) {
    chunks.push(sha256(bytes.subarray(at, at + CHUNK_SIZE)));
  }
  return { path, size: bytes.length, type, sha256: sha256(bytes), chunks };
}

/** One macrotask: queued microtasks, message deliveries and settled promises run first. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Waits macrotask by macrotask until `check()` holds; fails the test instead of hanging it. */
export async function eventually(check: () => boolean, what: string, ticks = 5000): Promise<void> {
  for (let i = 0; i < ticks; i++) {
    if (check()) return;
    await tick();
  }
  throw new Error(`${what} did not happen within ${ticks} macrotasks`);
}

/** Fails the test instead of hanging it when `promise` never settles. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
