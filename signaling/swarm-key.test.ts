import { describe, expect, it } from 'vitest';
import { allowedOriginOf, MAX_ORIGIN_LENGTH, swarmKeyOf } from './swarm-key.js';

const OWN = 'own.example:8080';
const ALLOWED = new Set(['https://site.example', 'http://127.0.0.1:8080']);

describe('swarmKeyOf', () => {
  it("takes the server's own origin and allowed origins as they are", () => {
    expect(swarmKeyOf({ origin: 'http://own.example:8080', host: OWN }, 'http')).toBe(
      'http://own.example:8080',
    );
    for (const origin of ALLOWED) {
      expect(swarmKeyOf({ origin, host: OWN }, 'http', ALLOWED)).toBe(origin);
    }
    // An allowed origin needs no usable Host.
    expect(swarmKeyOf({ origin: 'https://site.example' }, 'http', ALLOWED)).toBe(
      'https://site.example',
    );
  });

  it('refuses null, other origins and anything a browser would not send', () => {
    for (const origin of [
      'null',
      'https://other.example',
      'https://own.example:8080',
      'file://',
      'chrome-extension://abcdef',
      'https://site.example/',
      'https://site.example/path',
      'HTTPS://SITE.EXAMPLE',
      'https://site.example:443',
      'https://user@site.example',
      'site.example',
      '',
      `https://${'a'.repeat(MAX_ORIGIN_LENGTH)}.example`,
    ]) {
      expect(swarmKeyOf({ origin, host: OWN }, 'http', ALLOWED), origin).toBe('origin');
    }
  });

  it("puts a client without Origin in the server's own origin, with the client's scheme", () => {
    expect(swarmKeyOf({ host: OWN }, 'http')).toBe('http://own.example:8080');
    expect(swarmKeyOf({ host: 'Own.Example' }, 'https')).toBe('https://own.example');
    expect(swarmKeyOf({ host: 'own.example:443' }, 'https')).toBe('https://own.example');
    expect(swarmKeyOf({ host: 'own.example:80' }, 'http')).toBe('http://own.example');
    expect(swarmKeyOf({ host: '[::1]:9000' }, 'http')).toBe('http://[::1]:9000');
    expect(swarmKeyOf({ host: '198.18.0.1:8080' }, 'http')).toBe('http://198.18.0.1:8080');
    // Behind a TLS proxy the page is https even though the socket is not.
    expect(swarmKeyOf({ origin: 'https://own.example', host: 'own.example' }, 'https')).toBe(
      'https://own.example',
    );
  });

  it('refuses a client without Origin and without a usable Host', () => {
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
      expect(swarmKeyOf({ host }, 'http'), String(host)).toBe('bad-host');
    }
  });
});

describe('allowedOriginOf', () => {
  it('reduces an http(s) URL to its origin and refuses anything else', () => {
    expect(allowedOriginOf('https://Site.Example:443/path')).toBe('https://site.example');
    expect(allowedOriginOf('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    for (const text of ['null', 'site.example', 'file:///x', 'ftp://site.example', '']) {
      expect(() => allowedOriginOf(text), text).toThrow(RangeError);
    }
  });
});
