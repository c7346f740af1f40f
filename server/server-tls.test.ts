import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { get } from 'node:https';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { PATHS, parseServerMessage, SIGNALING_PROTOCOL } from '../protocol/index.js';
import { makeSelfSignedCert, makeTempSite, type TempSite } from '../testing/index.js';
import { ServerError } from './errors.js';
import { type RunningServer, type ServeOptions, startServer } from './server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function site(): Promise<TempSite> {
  const made = await makeTempSite({ 'index.html': '<p>home</p>', 'a.js': 'a' });
  cleanups.push(() => made.cleanup());
  return made;
}

async function serve(siteDir: string, options: Partial<ServeOptions>): Promise<RunningServer> {
  const server = await startServer({
    siteDir,
    port: 0,
    bundleDir: siteDir,
    log: () => {},
    ...options,
  });
  cleanups.push(() => server.close());
  return server;
}

function httpsGet(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

async function startError(options: Partial<ServeOptions>, siteDir: string): Promise<unknown> {
  try {
    await serve(siteDir, options);
  } catch (err) {
    return err;
  }
  throw new Error('the server started');
}

describe('startServer with TLS', () => {
  it('serves files over https and signaling over wss on the same port', async () => {
    const s = await site();
    const cert = await makeSelfSignedCert(s.outside);
    const server = await serve(s.dir, { tls: cert });
    expect(server.url).toBe(`https://127.0.0.1:${server.port}/`);
    expect(server.dashboardUrl.startsWith('https://')).toBe(true);
    expect(await httpsGet(new URL('/a.js', server.url).href, cert.cert)).toEqual({
      status: 200,
      body: 'a',
    });
    const ws = new WebSocket(new URL(PATHS.signal, server.url.replace(/^https/, 'wss')), {
      ca: cert.cert,
    });
    cleanups.push(async () => ws.terminate());
    await once(ws, 'open');
    ws.send(JSON.stringify({ t: 'join', protocol: SIGNALING_PROTOCOL }));
    const [data] = await once(ws, 'message');
    expect(parseServerMessage(String(data)).t).toBe('welcome');
    // A client that does not trust the certificate is refused by TLS, not served in clear.
    await expect(httpsGet(server.url, Buffer.alloc(0))).rejects.toThrow();
  });

  it('refuses unreadable and invalid PEM files with coded errors', async () => {
    const s = await site();
    const cert = await makeSelfSignedCert(s.outside);
    const missing = await startError(
      { tls: { certFile: join(s.outside, 'nope.pem'), keyFile: cert.keyFile } },
      s.dir,
    );
    expect(ServerError.is(missing, 'tls-unreadable')).toBe(true);
    expect((missing as Error).message).toContain('nope.pem');

    const junk = join(s.outside, 'junk.pem');
    await writeFile(junk, 'not a certificate');
    const invalid = await startError({ tls: { certFile: junk, keyFile: cert.keyFile } }, s.dir);
    expect(ServerError.is(invalid, 'bad-tls')).toBe(true);

    const other = await makeSelfSignedCert(await site().then((t) => t.outside));
    const mismatched = await startError(
      { tls: { certFile: cert.certFile, keyFile: other.keyFile } },
      s.dir,
    );
    expect(ServerError.is(mismatched, 'bad-tls')).toBe(true);
  });
});
