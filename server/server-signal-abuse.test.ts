import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { PATHS } from '../protocol/index.js';
import { startTestOrigin, type TestOrigin } from '../testing/index.js';

/** What startServer wires into signaling: allowed origins, proxy trust and its log. */

const MAX_PER_ADDRESS = 32;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function origin(options: Parameters<typeof startTestOrigin>[1]): Promise<TestOrigin> {
  const started = await startTestOrigin({ 'a.js': 'a' }, options);
  cleanups.push(() => started.close());
  return started;
}

/** The upgrade's outcome: 101 when it opened, else the refusal's status. */
async function upgrade(server: TestOrigin, headers: Record<string, string>): Promise<number> {
  const ws = new WebSocket(server.url(PATHS.signal).replace(/^http/, 'ws'), { headers });
  cleanups.push(async () => ws.terminate());
  ws.on('error', () => {});
  const outcome = await Promise.race([
    once(ws, 'open').then(() => 101),
    once(ws, 'unexpected-response').then(([, response]) => response.statusCode as number),
  ]);
  return outcome;
}

describe('startServer: signaling abuse settings', () => {
  it('lets pages of allowedOrigins signal, and refuses other origins with 403', async () => {
    const server = await origin({ allowedOrigins: ['https://site.example/'] });
    const own = new URL(server.server.url).origin;
    expect(await upgrade(server, { origin: own })).toBe(101);
    expect(await upgrade(server, { origin: 'https://site.example' })).toBe(101);
    expect(await upgrade(server, { origin: 'https://evil.example' })).toBe(403);
    expect(await upgrade(server, { origin: 'null' })).toBe(403);
    expect(await server.metric('peerconnect_signal_refusals_total', { reason: 'origin' })).toBe(2);
  });

  it('counts clients of a trusted proxy by X-Forwarded-For, and believes its scheme', async () => {
    const server = await origin({ trustProxy: ['loopback'] });
    const from = (address: string) => ({ 'x-forwarded-for': address });
    for (let i = 0; i < MAX_PER_ADDRESS; i++) {
      expect(await upgrade(server, from('203.0.113.1'))).toBe(101);
    }
    expect(await upgrade(server, from('203.0.113.1'))).toBe(429);
    expect(await upgrade(server, from('203.0.113.2'))).toBe(101);
    // A page on https in front of the proxy is this server's own origin.
    const https = new URL(server.server.url);
    https.protocol = 'https:';
    expect(
      await upgrade(server, {
        ...from('203.0.113.3'),
        'x-forwarded-proto': 'https',
        origin: https.origin,
      }),
    ).toBe(101);
  });

  it('ignores X-Forwarded-For from an untrusted peer, and says how to trust it', async () => {
    const server = await origin({});
    for (let i = 0; i < MAX_PER_ADDRESS; i++) {
      expect(await upgrade(server, { 'x-forwarded-for': `203.0.113.${i}` })).toBe(101);
    }
    expect(await upgrade(server, { 'x-forwarded-for': '203.0.113.200' })).toBe(429);
    expect(server.logs.join('\n')).toContain('--trust-proxy');
    expect(
      await server.metric('peerconnect_signal_refusals_total', { reason: 'address-connections' }),
    ).toBe(1);
  });
});
