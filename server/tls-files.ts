import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { errorReason } from '../site/index.js';
import { ServerError } from './errors.js';

/** `--tls-cert` and `--tls-key`: PEM files, the certificate (chain) and its private key. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface TlsCredentials {
  cert: Buffer;
  key: Buffer;
}

/**
 * Reads and checks the PEM files before the server listens: ServerError('tls-unreadable') for a
 * file that cannot be read, ServerError('bad-tls') for one that is not PEM or a key that does
 * not belong to the certificate.
 */
export async function loadTlsCredentials(files: TlsFiles): Promise<TlsCredentials> {
  const read = (path: string) =>
    readFile(path).catch((err: unknown) => {
      throw new ServerError('tls-unreadable', `${path}: ${errorReason(err)}`);
    });
  const [cert, key] = await Promise.all([read(files.certFile), read(files.keyFile)]);
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new ServerError('bad-tls', `${files.certFile}, ${files.keyFile}: ${errorReason(err)}`);
  }
  return { cert, key };
}
