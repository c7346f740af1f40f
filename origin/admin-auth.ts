import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { DASHBOARD_PATHS } from '../protocol/index.js';

/** A token shorter than this is refused at start: it would be guessable. */
export const ADMIN_TOKEN_MIN_LENGTH = 16;
export const ADMIN_COOKIE = 'peerconnect-admin';
/** The cookie reaches the owner's endpoints only, never the site's own pages. */
const ADMIN_COOKIE_PATH = '/peerconnect';
const ADMIN_COOKIE_MAX_AGE_S = 7 * 24 * 3600;
const MS_PER_SECOND = 1000;
const LOGIN_CODE_BYTES = 32;
/**
 * The cookie holds its expiry and an HMAC of it keyed by the token, not the token: a leaked
 * cookie is not the token, and it stops working when it expires, whatever the browser keeps.
 */
const SESSION_LABEL = 'peerconnect dashboard session';
const BEARER = /^bearer\s+(.+)$/i;
/** The query parameter of the one-time login link. */
export const LOGIN_PARAM = 'login';

/** Compares secrets in time independent of where they differ, and of their lengths. */
export function secretsEqual(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const pair of (header ?? '').split(';')) {
    const [key, ...value] = pair.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/**
 * `--admin-token`: the metrics, the dashboard and its data need `Authorization: Bearer <token>`
 * or the session cookie. A browser gets the cookie from a one-time login link that the server
 * prints; using it prints the next one, so there is always exactly one valid code.
 */
export class AdminAuth {
  private code = newCode();

  /** `token` must be at least ADMIN_TOKEN_MIN_LENGTH long (createOwnerContext checks). */
  constructor(
    private readonly token: string,
    private readonly now: () => number = Date.now,
  ) {}

  private sessionFor(expiresAtS: number): string {
    const mac = createHmac('sha256', this.token)
      .update(`${SESSION_LABEL}:${expiresAtS}`)
      .digest('base64url');
    return `${expiresAtS}.${mac}`;
  }

  private validSession(cookie: string): boolean {
    const expiresAtS = Number(cookie.split('.')[0]);
    if (!Number.isSafeInteger(expiresAtS) || expiresAtS * MS_PER_SECOND <= this.now()) return false;
    return secretsEqual(cookie, this.sessionFor(expiresAtS));
  }

  /** The code of the current one-time login link. */
  get loginCode(): string {
    return this.code;
  }

  allows(req: IncomingMessage): boolean {
    const bearer = BEARER.exec(req.headers.authorization ?? '')?.[1];
    if (bearer !== undefined && secretsEqual(bearer.trim(), this.token)) return true;
    const cookie = cookieValue(req.headers.cookie, ADMIN_COOKIE);
    return cookie !== undefined && this.validSession(cookie);
  }

  /**
   * Uses up the login code: on a match, returns the Set-Cookie header of a session and makes a
   * new code; otherwise undefined, and the code stays valid.
   */
  redeem(code: string): string | undefined {
    if (!secretsEqual(code, this.code)) return undefined;
    this.code = newCode();
    const expiresAtS = Math.floor(this.now() / MS_PER_SECOND) + ADMIN_COOKIE_MAX_AGE_S;
    return (
      `${ADMIN_COOKIE}=${this.sessionFor(expiresAtS)}; Path=${ADMIN_COOKIE_PATH}; ` +
      `Max-Age=${ADMIN_COOKIE_MAX_AGE_S}; HttpOnly; SameSite=Strict`
    );
  }
}

function newCode(): string {
  return randomBytes(LOGIN_CODE_BYTES).toString('base64url');
}

/** Where the owner opens the dashboard: with a token, the current one-time login link. */
export function dashboardEntryPath(auth: AdminAuth | undefined): string {
  return auth ? `${DASHBOARD_PATHS.page}?${LOGIN_PARAM}=${auth.loginCode}` : DASHBOARD_PATHS.page;
}
