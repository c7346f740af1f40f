import { describe, expect, it } from 'vitest';
import { ICE_LIMITS, iceUrlScheme, isIceHost, safeParseIceServers } from './ice.js';

/** The longest hostname (253 characters) and a server at every per-field cap. */
const LONGEST_HOST = `${`${'a'.repeat(63)}.`.repeat(3)}${'a'.repeat(61)}`;
const longest = {
  urls: Array(ICE_LIMITS.maxUrlsPerServer).fill(`turns:${LONGEST_HOST}:65535?transport=tcp`),
  username: 'u'.repeat(ICE_LIMITS.maxCredentialLength),
  credential: 'c'.repeat(ICE_LIMITS.maxCredentialLength),
};

describe('isIceHost', () => {
  it('accepts DNS names, IPv4 and bracketed IPv6', () => {
    for (const host of [
      'localhost',
      'example.com',
      'Example.COM.',
      'a-b.c0.example',
      '198.18.0.1',
      '[::1]',
      '[2001:db8::1]',
      '[::ffff:198.18.0.1]',
    ]) {
      expect(isIceHost(host), host).toBe(true);
    }
    expect(isIceHost(LONGEST_HOST)).toBe(true);
    expect(isIceHost(`a${LONGEST_HOST}`)).toBe(false);
  });

  it('refuses anything else', () => {
    for (const host of [
      '',
      '-a.com',
      'a-.com',
      'a..com',
      'a b',
      'a_b.com',
      'a/b',
      'a@b',
      'ä.com',
      '::1',
      '[::1',
      '[]',
      '[::g]',
      '[fe80::1%eth0]',
      '[1:2:3:4:5:6:7:8:9]',
      `${'a'.repeat(64)}.com`,
      `${'a.'.repeat(127)}ab`,
      'a\r\nb',
    ]) {
      expect(isIceHost(host), JSON.stringify(host)).toBe(false);
    }
  });
});

describe('iceUrlScheme', () => {
  it('reads the four schemes, with optional port and (TURN only) transport', () => {
    expect(iceUrlScheme('stun:example.com')).toBe('stun');
    expect(iceUrlScheme('stun:198.18.0.1:3478')).toBe('stun');
    expect(iceUrlScheme('STUN:[::1]:3478')).toBe('stun');
    expect(iceUrlScheme('stuns:example.com:5349')).toBe('stuns');
    expect(iceUrlScheme('turn:example.com:3478?transport=udp')).toBe('turn');
    expect(iceUrlScheme('turns:example.com:443?transport=tcp')).toBe('turns');
  });

  it('refuses malformed URLs', () => {
    for (const url of [
      '',
      'stun:',
      'stun:example.com:',
      'stun:example.com:0',
      'stun:example.com:65536',
      'stun:example.com:123456',
      'stun://example.com',
      'stun:example.com?transport=udp',
      'turn:example.com?transport=sctp',
      'turn:example.com/path',
      'turn:user@example.com',
      'stun:[::1',
      'stun:::1',
      'http://example.com',
      'stun:exa mple.com',
      `stun:${'a'.repeat(ICE_LIMITS.maxUrlLength)}`,
    ]) {
      expect(iceUrlScheme(url), url).toBeUndefined();
    }
  });
});

describe('safeParseIceServers', () => {
  it('accepts RTCIceServer lists and drops unknown fields', () => {
    const servers = [
      { urls: 'stun:example.com' },
      { urls: ['turn:example.com', 'turns:example.com:443'], username: 'u', credential: 'c' },
    ];
    expect(safeParseIceServers(servers)).toEqual({ servers });
    expect(safeParseIceServers([{ urls: 'stun:a.b', credentialType: 'password' }])).toEqual({
      servers: [{ urls: 'stun:a.b' }],
    });
  });

  it('accepts a server at every per-field cap', () => {
    expect(safeParseIceServers([longest]).servers).toHaveLength(1);
  });

  it('names the first bad field', () => {
    const cases: [unknown, string][] = [
      [{}, 'the list'],
      [[{ urls: 'stun:a b' }], '0.urls'],
      [[{ urls: 'stun:a' }, { urls: [] }], '1.urls'],
      [[{ urls: 'turn:a' }], 'needs a username and a credential'],
      [[{ urls: ['stun:a', 'turn:a'], username: 'u' }], 'needs a username'],
      [[{ urls: 'stun:a', username: 'u'.repeat(ICE_LIMITS.maxCredentialLength + 1) }], 'username'],
      [Array(ICE_LIMITS.maxServers + 1).fill({ urls: 'stun:a' }), 'the list'],
      [[{ urls: Array(ICE_LIMITS.maxUrlsPerServer + 1).fill('stun:a') }], '0.urls'],
      [Array(ICE_LIMITS.maxServers).fill(longest), 'characters as JSON'],
    ];
    for (const [input, problem] of cases) {
      expect(safeParseIceServers(input).problem, JSON.stringify(input)).toContain(problem);
    }
  });
});
