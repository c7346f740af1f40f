import { describe, expect, it } from 'vitest';
import { homeHostIp, isPublicHostAddress, routerLanIp, routerWanIp } from './addresses.js';
import { chromiumArgs } from './chromium.js';
import { parseGatewayHeader } from './gateway-protocol.js';
import { natRules } from './nat.js';
import { rateLimitCommands } from './rate-limit.js';

describe('test bed rules', () => {
  it('numbers homes: router 198.18.0.(10+N), LAN 10.N.0.0/24', () => {
    expect([routerWanIp(1), routerLanIp(1), homeHostIp(1)]).toEqual([
      '198.18.0.11',
      '10.1.0.1',
      '10.1.0.2',
    ]);
    expect(isPublicHostAddress('198.18.0.2')).toBe(true);
    expect(isPublicHostAddress('198.18.0.11')).toBe(false);
    expect(isPublicHostAddress('10.0.0.2')).toBe(false);
  });

  it('a full-cone router sends unclaimed UDP on to its host; a symmetric one randomizes ports', () => {
    expect(natRules('full-cone', { wan: 'wan', hostIp: '10.1.0.2' })).toEqual([
      ['-t', 'nat', '-A', 'POSTROUTING', '-o', 'wan', '-j', 'MASQUERADE'],
      [
        '-t',
        'nat',
        '-A',
        'PREROUTING',
        '-i',
        'wan',
        '-p',
        'udp',
        '-j',
        'DNAT',
        '--to-destination',
        '10.1.0.2',
      ],
    ]);
    expect(natRules('symmetric', { wan: 'wan', hostIp: '10.1.0.2' })).toEqual([
      ['-t', 'nat', '-A', 'POSTROUTING', '-o', 'wan', '-j', 'MASQUERADE', '--random-fully'],
    ]);
  });

  it('limits a link with tbf', () => {
    expect(rateLimitCommands('wan', { mbit: 10 })).toEqual([
      [
        'qdisc',
        'replace',
        'dev',
        'wan',
        'root',
        'tbf',
        'rate',
        '10mbit',
        'burst',
        '16kb',
        'latency',
        '50ms',
      ],
    ]);
    expect(() => rateLimitCommands('wan', { mbit: 0 })).toThrow();
  });

  it('marks the server origin secure for Chromium', () => {
    expect(chromiumArgs(['--no-sandbox'], ['http://198.18.0.1:8080/'])).toEqual([
      '--no-sandbox',
      '--unsafely-treat-insecure-origin-as-secure=http://198.18.0.1:8080',
    ]);
  });

  it('the gateway takes only `<ipv4> <port>`', () => {
    expect(parseGatewayHeader('198.18.0.1 8080')).toEqual({ host: '198.18.0.1', port: 8080 });
    expect(parseGatewayHeader('example.com 80')).toBeNull();
    expect(parseGatewayHeader('198.18.0.1 0')).toBeNull();
  });
});
