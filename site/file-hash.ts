import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { CHUNK_SIZE } from '../protocol/index.js';

/** Bytes read per system call: a whole number of chunks, so chunks never straddle two reads. */
const READ_BUFFER_SIZE = 16 * CHUNK_SIZE;

export interface FileHashes {
  /** Bytes actually read and hashed. */
  size: number;
  sha256: string;
  /** sha-256 of each CHUNK_SIZE chunk, in order. */
  chunks: string[];
}

/**
 * Hashes a file as a stream: sha-256 of the whole and of each CHUNK_SIZE chunk, holding one
 * read buffer in memory whatever the file size. `onBytes` is called after every read.
 */
export async function hashFile(
  filePath: string,
  onBytes?: (bytes: number) => void,
): Promise<FileHashes> {
  // O_NONBLOCK: if the file was swapped for a FIFO since the scan, open must not hang.
  const handle = await open(filePath, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new Error('not a regular file');
    // Sized to the file (plus a chunk, to see its end in one read): most site files are small.
    const buffer = Buffer.allocUnsafe(
      Math.min(READ_BUFFER_SIZE, (Math.floor(stats.size / CHUNK_SIZE) + 1) * CHUNK_SIZE),
    );
    const whole = createHash('sha256');
    const chunks: string[] = [];
    let size = 0;
    for (;;) {
      const filled = await readFull(handle, buffer);
      for (let offset = 0; offset < filled; offset += CHUNK_SIZE) {
        const chunk = buffer.subarray(offset, Math.min(offset + CHUNK_SIZE, filled));
        whole.update(chunk);
        chunks.push(createHash('sha256').update(chunk).digest('hex'));
      }
      size += filled;
      if (filled > 0) onBytes?.(filled);
      if (filled < buffer.length) break;
    }
    return { size, sha256: whole.digest('hex'), chunks };
  } finally {
    await handle.close();
  }
}

/** Fills `buffer` from the current position; returns fewer bytes only at end of file. */
async function readFull(handle: FileHandle, buffer: Buffer): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}
