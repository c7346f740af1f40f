import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempSite, type TempSite } from '../testing/index.js';
import { CliError } from './errors.js';
import { loadIceServers } from './ice-options.js';

let temp: TempSite | undefined;
afterEach(async () => {
  await temp?.cleanup();
  temp = undefined;
});

async function file(name: string, text: string): Promise<string> {
  temp ??= await makeTempSite({});
  const path = join(temp.outside, name);
  await writeFile(path, text);
  return path;
}

async function usageError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (CliError.is(err, 'usage')) return err.message;
    throw err;
  }
  throw new Error('no usage error');
}

describe('loadIceServers', () => {
  it('passes inline servers and no option through', async () => {
    expect(await loadIceServers(undefined, false)).toBeUndefined();
    expect(await loadIceServers([{ urls: 'stun:a.example' }], false)).toEqual([
      { urls: 'stun:a.example' },
    ]);
  });

  it('reads a JSON RTCIceServer[] file, TURN credentials included', async () => {
    const servers = [
      { urls: 'stun:a.example:3478' },
      { urls: ['turn:t.example:3478?transport=udp'], username: 'u', credential: 'c' },
    ];
    const path = await file('ice.json', JSON.stringify(servers));
    expect(await loadIceServers({ file: path }, false)).toEqual(servers);
  });

  it('refuses an endless file (a device) without reading it whole', async () => {
    expect(await usageError(loadIceServers({ file: '/dev/zero' }, false))).toContain(
      "--ice-servers: '/dev/zero' is over",
    );
  });

  it('refuses a missing, non-JSON, invalid or too long file, naming it', async () => {
    const missing = join('/nonexistent', 'ice.json');
    expect(await usageError(loadIceServers({ file: missing }, false))).toContain(
      `--ice-servers: '${missing}' is neither stun:/stuns: URLs nor a readable file`,
    );
    const notJson = await file('a.json', '[{');
    expect(await usageError(loadIceServers({ file: notJson }, false))).toContain(
      `'${notJson}' is not JSON`,
    );
    const noCredential = await file('b.json', '[{"urls":"stun:a"},{"urls":"turn:t"}]');
    expect(await usageError(loadIceServers({ file: noCredential }, false))).toContain(
      `'${noCredential}': 1: a turn: or turns: server needs a username and a credential`,
    );
    const badUrl = await file('c.json', '[{"urls":["stun:a","stun:b c"]}]');
    expect(await usageError(loadIceServers({ file: badUrl }, false))).toContain('0.urls.1');
    const eight = await file('d.json', JSON.stringify(Array(8).fill({ urls: 'stun:a' })));
    expect(await loadIceServers({ file: eight }, false)).toHaveLength(8);
    expect(await usageError(loadIceServers({ file: eight }, true))).toContain(
      'at most 7 servers with --turn-url',
    );
    const big = await file('e.json', ' '.repeat(64 * 1024 + 1));
    expect(await usageError(loadIceServers({ file: big }, false))).toContain('is over 65536 bytes');
  });
});
