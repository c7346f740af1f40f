import { describe, expect, it } from 'vitest';
import { TURN_CREDENTIAL_TTL_SECONDS, turnCredential, turnIceServer } from './turn-credentials.js';

// Computed once, independently, with:
//   printf '%s' '1700043200:0123456789abcdef' | openssl dgst -sha1 -hmac 'north-sea-secret' -binary | base64
const SECRET = 'north-sea-secret';
const NOW_MS = 1_700_000_000_000;
const ID = '0123456789abcdef';
const OPENSSL_CREDENTIAL = 'kcIYVscRgzmeAufAQNULdAQv8uI=';

describe('TURN REST credentials', () => {
  it('match an openssl HMAC-SHA1 vector', () => {
    expect(turnCredential(SECRET, `1700043200:${ID}`)).toBe(OPENSSL_CREDENTIAL);
  });

  it('expire TURN_CREDENTIAL_TTL_SECONDS from now, in the form coturn expects', () => {
    expect(TURN_CREDENTIAL_TTL_SECONDS).toBe(43_200);
    const urls = ['turn:198.18.0.1:3478?transport=udp', 'turns:turn.example.com:5349'];
    expect(turnIceServer({ secret: SECRET, urls }, NOW_MS, ID)).toEqual({
      urls,
      username: `1700043200:${ID}`,
      credential: OPENSSL_CREDENTIAL,
    });
  });

  it('give each connection its own random id', () => {
    const turn = { secret: SECRET, urls: ['turn:a.example'] };
    const a = turnIceServer(turn, NOW_MS);
    const b = turnIceServer(turn, NOW_MS);
    expect(a.username).toMatch(/^1700043200:[0-9a-f]{16}$/);
    expect(a.username).not.toBe(b.username);
    expect(a.credential).toBe(turnCredential(SECRET, a.username!));
  });
});
