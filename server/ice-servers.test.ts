import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ICE_LIMITS } from '../protocol/index.js';
import { ServerError } from './errors.js';
import { checkIceConfig, hostnameOfHostHeader, iceServersFor } from './ice-servers.js';
import { turnCredential } from './turn-credentials.js';

const request = (host?: string) => ({ headers: { host } }) as IncomingMessage;

describe('hostnameOfHostHeader', () => {
  it('keeps the hostname, lower-cased, IPv6 in brackets', () => {
    expect(hostnameOfHostHeader('Example.com:8080')).toBe('example.com');
    expect(hostnameOfHostHeader('example.com')).toBe('example.com');
    expect(hostnameOfHostHeader('198.18.0.1:80')).toBe('198.18.0.1');
    expect(hostnameOfHostHeader('[::1]:8080')).toBe('[::1]');
    expect(hostnameOfHostHeader('[2001:DB8::1]')).toBe('[2001:db8::1]');
  });

  it('refuses missing or malformed headers', () => {
    for (const header of [
      undefined,
      '',
      ':80',
      '::1',
      '[::1]x',
      'a:b:c',
      'example.com:',
      'example.com:123456',
      'exa mple.com',
      'evil.com/x',
      'evil.com?x',
      'user@evil.com',
      '"><script>',
      'a\r\nb',
      '[fe80::1%25eth0]',
      `${'a'.repeat(300)}.com`,
    ]) {
      expect(hostnameOfHostHeader(header), JSON.stringify(header)).toBeUndefined();
    }
  });
});

describe('iceServersFor', () => {
  it('advertises the built-in STUN server at the host the page came from', () => {
    const servers = iceServersFor({ stunPort: 3478 });
    expect(servers(request('site.example:8080'))).toEqual([{ urls: 'stun:site.example:3478' }]);
    expect(servers(request('[::1]:8080'))).toEqual([{ urls: 'stun:[::1]:3478' }]);
    expect(servers(request('bad host'))).toEqual([]);
    expect(servers(request())).toEqual([]);
  });

  it('advertises nothing when STUN is off, and the given list instead of it', () => {
    expect(iceServersFor({ stunPort: undefined })(request('a.example'))).toEqual([]);
    const iceServers = [{ urls: 'stun:stun.example:3478' }];
    expect(iceServersFor({ stunPort: 3478, iceServers })(request('a.example'))).toEqual(iceServers);
  });

  it('appends TURN with fresh credentials for each connection', () => {
    const turn = { secret: 's3cret', urls: ['turn:turn.example:3478?transport=udp'] };
    const servers = iceServersFor({ stunPort: 3478, turn });
    const [stun, relay] = servers(request('a.example'));
    expect(stun).toEqual({ urls: 'stun:a.example:3478' });
    expect(relay).toMatchObject({ urls: turn.urls });
    expect(relay?.credential).toBe(turnCredential('s3cret', relay?.username ?? ''));
    expect(servers(request('a.example'))[1]?.username).not.toBe(relay?.username);
  });
});

describe('checkIceConfig', () => {
  const bad = (config: Parameters<typeof checkIceConfig>[0]) => {
    try {
      checkIceConfig(config);
    } catch (err) {
      if (ServerError.is(err, 'bad-ice-servers')) return err.message;
      throw err;
    }
    return undefined;
  };

  it('accepts good settings', () => {
    expect(bad({})).toBeUndefined();
    expect(
      bad({
        iceServers: [{ urls: 'stun:a.example' }],
        turn: { secret: 's', urls: ['turn:t.example'] },
      }),
    ).toBeUndefined();
  });

  it('refuses what the agent would refuse', () => {
    expect(bad({ iceServers: [{ urls: 'http://a' }] })).toContain('0.urls');
    expect(bad({ turn: { secret: '', urls: ['turn:t'] } })).toContain('empty TURN secret');
    expect(bad({ turn: { secret: 's', urls: [] } })).toContain('no TURN URL');
    expect(bad({ turn: { secret: 's', urls: ['stun:t'] } })).toContain("'stun:t' is not a turn:");
    expect(bad({ turn: { secret: 's', urls: ['turn:bad host'] } })).toContain("'turn:bad host'");
    const full = Array(ICE_LIMITS.maxServers).fill({ urls: 'stun:a' });
    expect(bad({ iceServers: full })).toBeUndefined();
    expect(bad({ iceServers: full, turn: { secret: 's', urls: ['turn:t'] } })).toContain(
      'the list',
    );
  });
});
