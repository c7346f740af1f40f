import * as v from 'valibot';

/**
 * ICE servers (STUN/TURN) as `RTCPeerConnection` takes them, sent by the signaling server in
 * `welcome.iceServers`. Validated strictly on both sides: `new RTCPeerConnection()` throws on
 * one malformed URL, and a TURN URL without username and credential (WebRTC §4.4.1.1), so a
 * bad list would cost a visitor every peer connection, not just one server.
 */

export const ICE_LIMITS = {
  /** Most servers in one list (browsers try every one; more only slows ICE gathering). */
  maxServers: 8,
  /** Most URLs of one server. */
  maxUrlsPerServer: 8,
  maxUrlLength: 512,
  /** Longest username or credential (a TURN REST username is ~30 characters). */
  maxCredentialLength: 512,
  /**
   * Longest list as JSON. The per-field caps alone would allow ~40 KiB; this keeps a `welcome`
   * carrying the list well under SIGNALING_LIMITS.maxMessageBytes (32 KiB).
   */
  maxJsonLength: 16 * 1024,
  /** Longest DNS name (RFC 1035 §2.3.4). */
  maxHostnameLength: 253,
} as const;

export const ICE_URL_SCHEMES = ['stun', 'stuns', 'turn', 'turns'] as const;
export type IceUrlScheme = (typeof ICE_URL_SCHEMES)[number];

const MAX_PORT = 65_535;
const DNS_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
/** A DNS name or dotted IPv4 address, optionally with the root's trailing dot. */
const HOSTNAME = new RegExp(`^${DNS_LABEL}(?:\\.${DNS_LABEL})*\\.?$`, 'i');
/** RFC 7064 (stun, stuns) and RFC 7065 (turn, turns): `scheme:host[:port][?transport=udp|tcp]`. */
const ICE_URL =
  /^(stuns?|turns?):(\[[^\]]*\]|[^:?[\]]*)(?::(\d{1,5}))?(?:\?transport=(udp|tcp))?$/i;

/**
 * True for a host part of an ICE URL or a Host header: a DNS name, an IPv4 address, or an
 * IPv6 address in brackets (no zone id). What passes is safe to put in a URL as it is.
 */
export function isIceHost(host: string): boolean {
  if (host.startsWith('[')) return isBracketedIpv6(host);
  return host.length <= ICE_LIMITS.maxHostnameLength && HOSTNAME.test(host);
}

function isBracketedIpv6(host: string): boolean {
  if (!/^\[[0-9a-f:.]{2,45}\]$/i.test(host)) return false;
  // The WHATWG URL parser (in browsers and Node alike) knows the IPv6 grammar.
  try {
    return new URL(`http://${host}/`).hostname.startsWith('[');
  } catch {
    return false;
  }
}

/** The scheme of a well-formed ICE URL, or undefined for anything else. */
export function iceUrlScheme(url: string): IceUrlScheme | undefined {
  if (url.length > ICE_LIMITS.maxUrlLength) return undefined;
  const match = ICE_URL.exec(url);
  if (!match) return undefined;
  const [, scheme = '', host = '', port, transport] = match;
  const lower = scheme.toLowerCase() as IceUrlScheme;
  if (!isIceHost(host)) return undefined;
  if (port !== undefined && !(Number(port) >= 1 && Number(port) <= MAX_PORT)) return undefined;
  if (transport !== undefined && !lower.startsWith('turn')) return undefined;
  return lower;
}

function isTurnUrl(url: string): boolean {
  return iceUrlScheme(url)?.startsWith('turn') ?? false;
}

const IceUrl = v.pipe(
  v.string(),
  v.maxLength(ICE_LIMITS.maxUrlLength),
  v.check((url) => iceUrlScheme(url) !== undefined, 'must be a stun:, stuns:, turn: or turns: URL'),
);
const Credential = v.pipe(v.string(), v.maxLength(ICE_LIMITS.maxCredentialLength));

export const IceServerSchema = v.pipe(
  v.object({
    urls: v.union([
      IceUrl,
      v.pipe(v.array(IceUrl), v.minLength(1), v.maxLength(ICE_LIMITS.maxUrlsPerServer)),
    ]),
    username: v.optional(Credential),
    credential: v.optional(Credential),
  }),
  v.check(
    (server) =>
      (server.username !== undefined && server.credential !== undefined) ||
      ![server.urls].flat().some(isTurnUrl),
    'a turn: or turns: server needs a username and a credential',
  ),
);

export const IceServersSchema = v.pipe(
  v.array(IceServerSchema),
  v.maxLength(ICE_LIMITS.maxServers),
  v.check(
    (servers) => JSON.stringify(servers).length <= ICE_LIMITS.maxJsonLength,
    `must be at most ${ICE_LIMITS.maxJsonLength} characters as JSON`,
  ),
);

/** One ICE server: assignable to the DOM's `RTCIceServer`. */
export type IceServer = v.InferOutput<typeof IceServerSchema>;

/** Validates an untrusted ICE server list (e.g. a JSON file); `problem` names the first bad field. */
export function safeParseIceServers(
  input: unknown,
): { servers: IceServer[]; problem?: undefined } | { servers?: undefined; problem: string } {
  const result = v.safeParse(IceServersSchema, input);
  if (result.success) return { servers: result.output };
  const issue = result.issues[0];
  const path = issue ? v.getDotPath(issue) : null;
  return { problem: `${path ?? 'the list'}: ${issue?.message ?? 'invalid'}` };
}
