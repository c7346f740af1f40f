import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ADMIN_COOKIE, AdminAuth, dashboardEntryPath, secretsEqual } from './admin-auth.js';

const TOKEN = 'correct horse battery staple';

function request(headers: Record<string, string>): IncomingMessage {
  return { headers } as IncomingMessage;
}

function sessionCookie(auth: AdminAuth): string {
  const setCookie = auth.redeem(auth.loginCode) ?? '';
  return setCookie.split(';')[0] ?? '';
}

describe('secretsEqual', () => {
  it('compares whole secrets, whatever their lengths', () => {
    expect(secretsEqual(TOKEN, TOKEN)).toBe(true);
    expect(secretsEqual(TOKEN, `${TOKEN} `)).toBe(false);
    expect(secretsEqual(TOKEN, TOKEN.slice(0, -1))).toBe(false);
    expect(secretsEqual('', TOKEN)).toBe(false);
  });
});

describe('AdminAuth', () => {
  it('accepts the bearer token, in any case of the scheme, and nothing like it', () => {
    const auth = new AdminAuth(TOKEN);
    expect(auth.allows(request({ authorization: `Bearer ${TOKEN}` }))).toBe(true);
    expect(auth.allows(request({ authorization: `bearer  ${TOKEN}` }))).toBe(true);
    expect(auth.allows(request({}))).toBe(false);
    expect(auth.allows(request({ authorization: `Bearer ${TOKEN}x` }))).toBe(false);
    expect(auth.allows(request({ authorization: `Basic ${TOKEN}` }))).toBe(false);
    expect(auth.allows(request({ authorization: 'Bearer ' }))).toBe(false);
  });

  it('trades the one-time code for a strict, HttpOnly session cookie, once', () => {
    const auth = new AdminAuth(TOKEN, () => 1_000_000);
    const code = auth.loginCode;
    expect(auth.redeem('wrong')).toBeUndefined();
    expect(auth.loginCode).toBe(code);
    const setCookie = auth.redeem(code) ?? '';
    expect(setCookie).toMatch(
      new RegExp(
        `^${ADMIN_COOKIE}=\\d+\\.[\\w-]+; Path=/peerconnect; Max-Age=\\d+; HttpOnly; SameSite=Strict$`,
      ),
    );
    expect(auth.redeem(code)).toBeUndefined();
    expect(auth.loginCode).not.toBe(code);
    expect(auth.redeem(auth.loginCode)).toBe(setCookie);
  });

  it('accepts the session cookie among others, which is not the token itself', () => {
    const auth = new AdminAuth(TOKEN);
    const cookie = sessionCookie(auth);
    expect(cookie).not.toContain(TOKEN);
    expect(auth.allows(request({ cookie: `theme=dark; ${cookie}; x=y` }))).toBe(true);
    expect(auth.allows(request({ cookie: `${cookie}x` }))).toBe(false);
    expect(auth.allows(request({ cookie: `${ADMIN_COOKIE}=${TOKEN}` }))).toBe(false);
    expect(new AdminAuth(`${TOKEN}!`).allows(request({ cookie }))).toBe(false);
  });

  it('refuses a session cookie past its expiry, or with its expiry changed', () => {
    let now = 1_000_000_000;
    const auth = new AdminAuth(TOKEN, () => now);
    const cookie = sessionCookie(auth);
    expect(auth.allows(request({ cookie }))).toBe(true);
    const [name, value] = cookie.split('=') as [string, string];
    const [expiry, mac] = value.split('.') as [string, string];
    expect(auth.allows(request({ cookie: `${name}=${Number(expiry) + 1}.${mac}` }))).toBe(false);
    now = Number(expiry) * 1000;
    expect(auth.allows(request({ cookie }))).toBe(false);
  });

  it('links to the dashboard with the current code', () => {
    const auth = new AdminAuth(TOKEN);
    expect(dashboardEntryPath(undefined)).toBe('/peerconnect/dashboard');
    expect(dashboardEntryPath(auth)).toBe(`/peerconnect/dashboard?login=${auth.loginCode}`);
  });
});
