import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createProxyTrust, isTrustProxyEntry } from './proxy-trust.js';

function request(
  remoteAddress: string,
  headers: Record<string, string> = {},
  encrypted = false,
): IncomingMessage {
  return { socket: { remoteAddress, encrypted }, headers } as unknown as IncomingMessage;
}

const FORWARDED = { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' };

describe('isTrustProxyEntry', () => {
  it.each(['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback'])('accepts %s', (entry) => {
    expect(isTrustProxyEntry(entry)).toBe(true);
  });
  it.each(['', 'localhost', '10.0.0.0/33', '::/129', '1.2.3', '10.0.0.0/x'])(
    'refuses %j',
    (entry) => expect(isTrustProxyEntry(entry)).toBe(false),
  );
});

describe('createProxyTrust', () => {
  it('believes no header when nothing is trusted', () => {
    const trust = createProxyTrust();
    const req = request('127.0.0.1', FORWARDED);
    expect(trust.clientAddress(req)).toBe('127.0.0.1');
    expect(trust.scheme(req)).toBe('http');
    expect(trust.scheme(request('127.0.0.1', FORWARDED, true))).toBe('https');
  });

  it('believes a trusted proxy, and only it', () => {
    const trust = createProxyTrust(['10.1.0.0/16']);
    expect(trust.clientAddress(request('10.1.2.3', FORWARDED))).toBe('203.0.113.7');
    expect(trust.scheme(request('10.1.2.3', FORWARDED))).toBe('https');
    expect(trust.clientAddress(request('10.2.0.1', FORWARDED))).toBe('10.2.0.1');
    expect(trust.scheme(request('10.2.0.1', FORWARDED))).toBe('http');
  });

  it('takes the nearest untrusted hop, so a client cannot pick its own address', () => {
    const trust = createProxyTrust(['loopback', '10.0.0.0/8']);
    const req = request('127.0.0.1', { 'x-forwarded-for': '6.6.6.6, 198.51.100.2, 10.0.0.5' });
    expect(trust.clientAddress(req)).toBe('198.51.100.2');
    const onlyProxies = request('::1', { 'x-forwarded-for': '10.0.0.9, 10.0.0.5' });
    expect(trust.clientAddress(onlyProxies)).toBe('10.0.0.9');
    expect(trust.clientAddress(request('127.0.0.1'))).toBe('127.0.0.1');
  });

  it('matches IPv4-mapped IPv6 peers and ignores junk in the headers', () => {
    const trust = createProxyTrust(['loopback']);
    const req = request('::ffff:127.0.0.1', {
      'x-forwarded-for': 'nonsense, 192.0.2.1',
      'x-forwarded-proto': 'gopher',
    });
    expect(trust.clientAddress(req)).toBe('192.0.2.1');
    expect(trust.scheme(req)).toBe('http');
  });
});
