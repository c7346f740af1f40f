import { createHmac, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PUBLIC_NETWORK, TURN_ALT_IP, TURN_IP } from './addresses.js';
import type { BedProcess } from './bed-process.js';
import type { Netbed } from './netbed.js';

/**
 * coturn (`turnserver`) in the public namespace: STUN and TURN over UDP and TCP, no TLS, with
 * TURN REST API credentials (`use-auth-secret`). Two listening addresses turn on RFC 5780, so a
 * Binding request with CHANGE-REQUEST is answered from the other address and port.
 */

export const DEFAULT_TURN_PORT = 3479;
const DEFAULT_REALM = 'peerconnect.test';
/** coturn opens its listeners in well under a second. */
const START_TIMEOUT_MS = 10_000;
const DEFAULT_CREDENTIAL_TTL_S = 3600;
const RELAY_PORTS = { min: 49_152, max: 65_535 } as const;

export interface TurnServerOptions {
  ip?: string;
  /** Second listening address (RFC 5780's "other address"); null for one address only. */
  altIp?: string | null;
  port?: number;
  realm?: string;
  /** The `static-auth-secret`; random by default. */
  secret?: string;
}

export interface TurnCredentials {
  username: string;
  credential: string;
}

export interface TurnServer {
  readonly ip: string;
  readonly altIp: string | null;
  readonly port: number;
  /** RFC 5780: coturn's alternate port is the listening port plus one. */
  readonly altPort: number;
  readonly realm: string;
  readonly secret: string;
  /** `turn:<ip>:<port>` (UDP) and `stun:<ip>:<port>`. */
  readonly turnUrl: string;
  readonly stunUrl: string;
  /** TURN REST credentials: `<expiry>:<user>` and base64(HMAC-SHA1(secret, username)). */
  credentials(user?: string, ttlS?: number): TurnCredentials;
  log(): string;
  stop(): Promise<void>;
}

/** The REST API credentials coturn's `use-auth-secret` accepts until `expiresAtS`. */
export function turnRestCredentials(
  secret: string,
  user: string,
  expiresAtS: number,
): TurnCredentials {
  const username = `${expiresAtS}:${user}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

function config(
  dir: string,
  o: Required<Omit<TurnServerOptions, 'altIp'>> & { altIp: string | null },
): string {
  const [network] = PUBLIC_NETWORK.split('/');
  const lastPublic = network!.replace(/\.0$/, '.255');
  return [
    `listening-port=${o.port}`,
    `listening-ip=${o.ip}`,
    ...(o.altIp ? [`listening-ip=${o.altIp}`] : []),
    `relay-ip=${o.ip}`,
    `min-port=${RELAY_PORTS.min}`,
    `max-port=${RELAY_PORTS.max}`,
    'use-auth-secret',
    `static-auth-secret=${o.secret}`,
    `realm=${o.realm}`,
    'fingerprint',
    'no-tls',
    'no-dtls',
    'no-cli',
    'no-multicast-peers',
    // Peers are routers of the bed, 198.18.0.0/24; nothing else is reachable anyway.
    `allowed-peer-ip=${network}-${lastPublic}`,
    'no-software-attribute',
    'log-file=stdout',
    // Without it coturn does not print its listeners, which tell that it is ready.
    'verbose',
    'simple-log',
    `pidfile=${join(dir, 'turnserver.pid')}`,
    `userdb=${join(dir, 'turndb')}`,
    '',
  ].join('\n');
}

/** Starts coturn inside the bed's public namespace and waits until it listens. */
export async function startCoturn(
  bed: Netbed,
  options: TurnServerOptions = {},
): Promise<TurnServer> {
  const settings = {
    ip: options.ip ?? TURN_IP,
    altIp: options.altIp === undefined ? TURN_ALT_IP : options.altIp,
    port: options.port ?? DEFAULT_TURN_PORT,
    realm: options.realm ?? DEFAULT_REALM,
    secret: options.secret ?? randomBytes(16).toString('hex'),
  };
  const configPath = join(bed.dir, `turnserver-${settings.port}.conf`);
  await writeFile(configPath, config(bed.dir, settings), { mode: 0o600 });
  // `-c` replaces /etc/turnserver.conf; nothing of the machine's own setup applies.
  const child: BedProcess = bed.spawn(bed.publicNs, 'turnserver', ['-c', configPath]);
  const listeners = [settings.ip, settings.altIp].flatMap((ip) =>
    ip === null ? [] : [`${ip}:${settings.port}`, `${ip}:${settings.port + 1}`],
  );
  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (const address of listeners) {
      const line = new RegExp(
        `UDP listener opened on\\s*:?\\s*${address.replaceAll('.', '\\.')}\\b`,
      );
      await child.waitForOutput(line, Math.max(1, deadline - Date.now()));
    }
  } catch (err) {
    await child.stop();
    throw err;
  }
  return {
    ...settings,
    altPort: settings.port + 1,
    turnUrl: `turn:${settings.ip}:${settings.port}`,
    stunUrl: `stun:${settings.ip}:${settings.port}`,
    credentials(user = 'visitor', ttlS = DEFAULT_CREDENTIAL_TTL_S) {
      return turnRestCredentials(settings.secret, user, Math.floor(Date.now() / 1000) + ttlS);
    },
    log: () => child.log(),
    stop: () => child.stop(),
  };
}
