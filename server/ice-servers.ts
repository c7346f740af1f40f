import type { IncomingMessage } from 'node:http';
import { type IceServer, iceUrlScheme, isIceHost, safeParseIceServers } from '../protocol/index.js';
import { ServerError } from './errors.js';
import { type TurnOptions, turnIceServer } from './turn-credentials.js';

/** What a signaling connection is told about STUN and TURN. */
export interface IceConfig {
  /** The built-in STUN server's UDP port; undefined when it is off. */
  stunPort: number | undefined;
  /** Replaces the built-in STUN server in what is advertised. */
  iceServers?: IceServer[];
  /** Appends fresh TURN credentials for each connection. */
  turn?: TurnOptions;
}

/** `name[:port]` or `[v6][:port]`: the Host header of HTTP/1.1 (RFC 9110 §7.2). */
const HOST_HEADER = /^(\[[^\]]*\]|[^:[\]]*)(?::\d{1,5})?$/;

/**
 * The hostname part of a Host header, lower-cased, IPv6 kept in brackets; undefined for a
 * missing or malformed header, so nothing a client sent is ever echoed unchecked.
 */
export function hostnameOfHostHeader(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const host = HOST_HEADER.exec(header)?.[1]?.toLowerCase();
  return host !== undefined && isIceHost(host) ? host : undefined;
}

/**
 * The ICE servers each connection is told, from the request it upgraded: `iceServers` when
 * given, else the built-in STUN server at the host the page came from (none when it is off or
 * the Host header is unusable); then, with `turn`, a TURN server with fresh credentials.
 */
export function iceServersFor(
  config: IceConfig,
): (request: Pick<IncomingMessage, 'headers'>) => IceServer[] {
  return (request) => {
    const base = config.iceServers ?? builtInStun(config.stunPort, request.headers.host);
    return config.turn ? [...base, turnIceServer(config.turn)] : base;
  };
}

function builtInStun(port: number | undefined, hostHeader: string | undefined): IceServer[] {
  const host = port === undefined ? undefined : hostnameOfHostHeader(hostHeader);
  return host === undefined ? [] : [{ urls: `stun:${host}:${port}` }];
}

/**
 * Checks the ICE settings of `peerconnect serve` once, at start, so that no connection is ever
 * sent a list the agent would refuse. Throws ServerError('bad-ice-servers').
 */
export function checkIceConfig(config: Omit<IceConfig, 'stunPort'>): void {
  const { turn } = config;
  if (turn) {
    if (turn.secret.length === 0) throw new ServerError('bad-ice-servers', 'empty TURN secret');
    if (turn.urls.length === 0) throw new ServerError('bad-ice-servers', 'no TURN URL');
    const notTurn = turn.urls.find((url) => !iceUrlScheme(url)?.startsWith('turn'));
    if (notTurn !== undefined) {
      throw new ServerError('bad-ice-servers', `'${notTurn}' is not a turn: or turns: URL`);
    }
  }
  const sample = iceServersFor({ ...config, stunPort: 1 })({
    headers: { host: 'localhost' },
  } as IncomingMessage);
  const { problem } = safeParseIceServers(sample);
  if (problem !== undefined) throw new ServerError('bad-ice-servers', problem);
}
