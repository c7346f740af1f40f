import { describe, expect, it } from 'vitest';
import { MAX_ORIGIN_LENGTH, swarmKeyOf } from './swarm-key.js';

describe('swarmKeyOf', () => {
  it('takes a valid http(s) Origin as it is', () => {
    for (const origin of [
      'https://site.example',
      'http://127.0.0.1:8080',
      'https://[::1]:8443',
      'http://xn--bcher-kva.example',
    ]) {
      expect(swarmKeyOf({ origin, host: 'other.example' }, false)).toBe(origin);
    }
  });

  it("falls back to the server's own origin for a missing or unusable Origin", () => {
    for (const origin of [
      undefined,
      'null',
      'file://',
      'chrome-extension://abcdef',
      'https://site.example/',
      'https://site.example/path',
      'HTTPS://SITE.EXAMPLE',
      'https://site.example:443',
      'https://user@site.example',
      'site.example',
      `https://${'a'.repeat(MAX_ORIGIN_LENGTH)}.example`,
    ]) {
      expect(swarmKeyOf({ origin, host: 'own.example:8080' }, false), String(origin)).toBe(
        'http://own.example:8080',
      );
    }
  });

  it('builds the own origin from Host with the scheme of the socket, normalised', () => {
    expect(swarmKeyOf({ host: 'Own.Example' }, true)).toBe('https://own.example');
    expect(swarmKeyOf({ host: 'own.example:443' }, true)).toBe('https://own.example');
    expect(swarmKeyOf({ host: 'own.example:80' }, false)).toBe('http://own.example');
    expect(swarmKeyOf({ host: '[::1]:9000' }, false)).toBe('http://[::1]:9000');
    expect(swarmKeyOf({ host: '198.18.0.1:8080' }, false)).toBe('http://198.18.0.1:8080');
  });

  it('gives no key when neither header is usable', () => {
    for (const host of [
      undefined,
      '',
      'a b',
      'own.example:0',
      'own.example:65536',
      'own.example:80:80',
      'own.example/x',
      'user@own.example',
      '[::1',
      '[zz]',
      `${'a'.repeat(300)}.example`,
    ]) {
      expect(swarmKeyOf({ origin: 'null', host }, false), String(host)).toBeUndefined();
    }
  });
});
