import { open } from 'node:fs/promises';
import {
  ICE_LIMITS,
  type IceServer,
  iceUrlScheme,
  safeParseIceServers,
} from '../protocol/index.js';
import type { TurnOptions } from '../server/index.js';
import { errorReason } from '../site/index.js';
import { CliError } from './errors.js';

/** A JSON file of ICE servers is a few hundred bytes; refuse to read a large file by mistake. */
const MAX_ICE_FILE_BYTES = 64 * 1024;
/** A value that starts like an ICE URL is a list of them; anything else names a file. */
const LOOKS_LIKE_ICE_URL = /^(stuns?|turns?):/i;

/** `--ice-servers`: inline servers, or a JSON file still to be read (see loadIceServers). */
export type IceServersOption = IceServer[] | { file: string };

export function parseIceServersOption(
  text: string | undefined,
  withTurn: boolean,
): IceServersOption | undefined {
  if (text === undefined) return undefined;
  if (text.trim() === '') throw new CliError('usage', '--ice-servers needs URLs or a file');
  if (!LOOKS_LIKE_ICE_URL.test(text.trim())) return { file: text };
  const urls = text.split(',').map((url) => url.trim());
  for (const url of urls) {
    const scheme = iceUrlScheme(url);
    if (scheme === 'turn' || scheme === 'turns') {
      throw new CliError(
        'usage',
        `--ice-servers: '${url}' needs a username and credential: ` +
          'put TURN servers in a JSON file, or use --turn-secret and --turn-url',
      );
    }
    if (scheme === undefined) {
      throw new CliError('usage', `--ice-servers: '${url}' is not a stun: or stuns: URL`);
    }
  }
  checkCount(urls.length, withTurn);
  return urls.map((url) => ({ urls: url }));
}

/** `--turn-secret` with `--turn-url`: both or neither. */
export function parseTurnOptions(
  secret: string | undefined,
  urlList: string | undefined,
): TurnOptions | undefined {
  if (secret === undefined && urlList === undefined) return undefined;
  if (urlList === undefined) throw new CliError('usage', '--turn-secret needs --turn-url');
  if (secret === undefined) throw new CliError('usage', '--turn-url needs --turn-secret');
  if (secret === '') throw new CliError('usage', '--turn-secret must not be empty');
  const urls = urlList.split(',').map((url) => url.trim());
  for (const url of urls) {
    if (!iceUrlScheme(url)?.startsWith('turn')) {
      throw new CliError('usage', `--turn-url: '${url}' is not a turn: or turns: URL`);
    }
  }
  if (urls.length > ICE_LIMITS.maxUrlsPerServer) {
    throw new CliError('usage', `--turn-url takes at most ${ICE_LIMITS.maxUrlsPerServer} URLs`);
  }
  return { secret, urls };
}

/** Reads a `--ice-servers` file (a JSON RTCIceServer[]); throws CliError('usage'). */
export async function loadIceServers(
  option: IceServersOption | undefined,
  withTurn: boolean,
): Promise<IceServer[] | undefined> {
  if (option === undefined || Array.isArray(option)) return option;
  const { file } = option;
  let text: string;
  try {
    // Read at most one byte past the cap, so a device or a huge file is refused, not read whole.
    const handle = await open(file, 'r');
    let bytes: Buffer;
    try {
      const buffer = Buffer.alloc(MAX_ICE_FILE_BYTES + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      bytes = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
    if (bytes.length > MAX_ICE_FILE_BYTES) {
      throw new CliError('usage', `--ice-servers: '${file}' is over ${MAX_ICE_FILE_BYTES} bytes`);
    }
    text = bytes.toString('utf8');
  } catch (err) {
    if (CliError.is(err)) throw err;
    throw new CliError(
      'usage',
      `--ice-servers: '${file}' is neither stun:/stuns: URLs nor a readable file (${errorReason(err)})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError('usage', `--ice-servers: '${file}' is not JSON`);
  }
  const { servers, problem } = safeParseIceServers(json);
  if (problem !== undefined) {
    throw new CliError('usage', `--ice-servers: '${file}': ${problem}`);
  }
  checkCount(servers.length, withTurn);
  return servers;
}

function checkCount(count: number, withTurn: boolean): void {
  const max = ICE_LIMITS.maxServers - (withTurn ? 1 : 0);
  if (count > max) {
    throw new CliError(
      'usage',
      `--ice-servers: at most ${max} servers${withTurn ? ' with --turn-url' : ''}, not ${count}`,
    );
  }
}
