import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** Long enough for any test run. */
const VALID_DAYS = 1;

export interface SelfSignedCert {
  certFile: string;
  keyFile: string;
  /** The certificate's PEM, for a client's `ca`. */
  cert: Buffer;
}

/** A throwaway certificate for 127.0.0.1 (and localhost), made with openssl in `dir`. */
export async function makeSelfSignedCert(dir: string): Promise<SelfSignedCert> {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    String(VALID_DAYS),
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]);
  return { certFile, keyFile, cert: await readFile(certFile) };
}
