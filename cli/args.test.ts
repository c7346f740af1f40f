import { describe, expect, it } from 'vitest';
import { parseCommand } from './args.js';
import { CliError } from './errors.js';

function usageError(argv: string[]): string {
  try {
    parseCommand(argv);
  } catch (err) {
    if (CliError.is(err, 'usage')) return err.message;
    throw err;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
}

describe('parseCommand', () => {
  it('reads build and serve with defaults', () => {
    expect(parseCommand(['build', 'site'])).toEqual({
      name: 'build',
      siteDir: 'site',
      exclude: [],
    });
    expect(parseCommand(['serve', 'site'])).toEqual({
      name: 'serve',
      siteDir: 'site',
      port: 8080,
      host: '127.0.0.1',
      inject: true,
      firstVisit: 'bootstrap',
      stunPort: 3478,
      disable: false,
      agent: {},
      exclude: [],
      minSwarm: 1,
    });
  });

  it('reads --exclude for build and serve, repeated, and refuses an empty one', () => {
    expect(
      parseCommand(['build', 'site', '--exclude', 'account/**', '--exclude', '*.raw.png']),
    ).toMatchObject({
      exclude: ['account/**', '*.raw.png'],
    });
    expect(parseCommand(['serve', 'site', '--exclude', 'members/**'])).toMatchObject({
      exclude: ['members/**'],
    });
    expect(usageError(['build', 'site', '--exclude', ''])).toContain('--exclude');
    expect(usageError(['serve', '--signal-only', '--exclude', 'a/**'])).toContain('needs a site');
  });

  it('reads every serve option', () => {
    expect(
      parseCommand([
        'serve',
        '--port',
        '0',
        '--host=0.0.0.0',
        'site',
        '--no-inject',
        '--first-visit',
        'off',
        '--stun-port',
        '0',
        '--ice-servers',
        'stun:stun.example.com:3478, stuns:[2001:db8::1]',
        '--turn-secret',
        's3cret',
        '--turn-url=turn:198.18.0.1:3478?transport=udp,turns:turn.example.com:5349',
      ]),
    ).toEqual({
      name: 'serve',
      siteDir: 'site',
      port: 0,
      host: '0.0.0.0',
      inject: false,
      firstVisit: 'off',
      stunPort: 0,
      disable: false,
      agent: {},
      exclude: [],
      minSwarm: 1,
      iceServers: [{ urls: 'stun:stun.example.com:3478' }, { urls: 'stuns:[2001:db8::1]' }],
      turn: {
        secret: 's3cret',
        urls: ['turn:198.18.0.1:3478?transport=udp', 'turns:turn.example.com:5349'],
      },
    });
    expect(parseCommand(['serve', 'site', '--stun-port', '13478'])).toMatchObject({
      stunPort: 13478,
    });
    expect(parseCommand(['serve', 'site', '--ice-servers', './ice.json'])).toMatchObject({
      iceServers: { file: './ice.json' },
      stunPort: 0,
    });
    expect(
      parseCommand(['serve', 'site', '--ice-servers', 'stun:a.example', '--stun-port', '3478']),
    ).toMatchObject({ stunPort: 3478 });
  });

  it('reads the kill switch, the swarm minimum and the agent settings', () => {
    expect(
      parseCommand([
        'serve',
        'site',
        '--disable',
        '--min-swarm',
        '3',
        '--require-consent',
        '--upload-budget',
        '512KiB',
        '--upload-rate=1MB/s',
        '--upload-peer-rate',
        '256KB',
        '--allow-cellular-uploads',
        '--signal-url',
        'wss://signal.example.com/peerconnect/signal',
      ]),
    ).toMatchObject({
      disable: true,
      minSwarm: 3,
      agent: {
        requireConsent: true,
        uploadBudget: 512 * 1024,
        uploadRate: 1_000_000,
        uploadPeerRate: 256_000,
        allowCellular: true,
        signalUrl: 'wss://signal.example.com/peerconnect/signal',
      },
    });
    expect(parseCommand(['serve', 'site', '--upload-budget', '0'])).toMatchObject({
      agent: { uploadBudget: 0 },
    });
    expect(parseCommand(['serve', 'site', '--upload-budget', '1.5GB'])).toMatchObject({
      agent: { uploadBudget: 1_500_000_000 },
    });
  });

  it('reads --signal-only without a site, and refuses site flags with it', () => {
    const command = parseCommand(['serve', '--signal-only', '--port', '9000', '--min-swarm', '2']);
    expect(command).toMatchObject({ name: 'serve', port: 9000, minSwarm: 2 });
    expect(command).not.toHaveProperty('siteDir');
    expect(usageError(['serve', '--signal-only', 'site'])).toContain("yet 'site' was given");
    expect(usageError(['serve', '--signal-only', '--disable'])).toContain('--disable needs a site');
    expect(usageError(['serve', '--signal-only', '--signal-url', 'ws://a/b'])).toContain(
      '--signal-url needs a site',
    );
  });

  it('refuses bad sizes, rates, swarm minimums and signaling URLs', () => {
    for (const size of ['50 parsecs', '-1', 'MB', '1e9', '']) {
      expect(usageError(['serve', 's', `--upload-budget=${size}`])).toContain(
        '--upload-budget takes a size',
      );
    }
    expect(usageError(['serve', 's', '--upload-rate', '0'])).toContain('must be above 0');
    expect(usageError(['serve', 's', '--upload-peer-rate', 'fast'])).toContain(
      '--upload-peer-rate takes a size',
    );
    for (const n of ['0', '1001', '2.5', 'many']) {
      expect(usageError(['serve', 's', '--min-swarm', n])).toContain('--min-swarm must be 1..1000');
    }
    for (const url of ['http://a.example/x', 'signal.example.com', 'ws//x']) {
      expect(usageError(['serve', 's', '--signal-url', url])).toContain(
        '--signal-url must be a ws:// or wss:// URL',
      );
    }
  });

  it('knows help and version', () => {
    for (const argv of [['help'], ['--help'], ['-h'], ['build', '--help'], ['serve', '-h']]) {
      expect(parseCommand(argv)).toEqual({ name: 'help' });
    }
    expect(parseCommand(['--version'])).toEqual({ name: 'version' });
    expect(parseCommand(['-v'])).toEqual({ name: 'version' });
  });

  it('refuses what it does not understand', () => {
    expect(usageError([])).toContain('no command');
    expect(usageError(['deploy'])).toContain("unknown command 'deploy'");
    expect(usageError(['build'])).toContain('missing <site-dir>');
    expect(usageError(['build', 'a', 'b'])).toContain("unexpected argument 'b'");
    expect(usageError(['build', 'a', '--port', '1'])).toContain("Unknown option '--port'");
    expect(usageError(['serve', 'a', '--bogus'])).toContain("Unknown option '--bogus'");
    expect(usageError(['serve', 'a', '--port'])).toContain('--port');
    expect(usageError(['serve', 'a', '--port', '70000'])).toContain('--port must be 0..65535');
    expect(usageError(['serve', 'a', '--port', '-1'])).toContain('--port');
    expect(usageError(['serve', 'a', '--port', '80x'])).toContain("not '80x'");
    expect(usageError(['serve', 'a', '--first-visit', 'maybe'])).toContain(
      '--first-visit must be bootstrap or off',
    );
  });

  it('refuses bad STUN, ICE and TURN options, naming the bad entry', () => {
    const serve = (...args: string[]) => usageError(['serve', 'a', ...args]);
    expect(serve('--stun-port', '65536')).toContain("--stun-port must be 0..65535, not '65536'");
    expect(serve('--stun-port', 'x')).toContain("--stun-port must be 0..65535, not 'x'");
    expect(serve('--stun-port')).toContain('--stun-port');
    expect(serve('--ice-servers', '')).toContain('--ice-servers needs URLs or a file');
    expect(serve('--ice-servers', 'stun:a.example,stun:bad host')).toContain(
      "--ice-servers: 'stun:bad host' is not a stun: or stuns: URL",
    );
    expect(serve('--ice-servers', 'stun:a.example,,stun:b.example')).toContain(
      "--ice-servers: '' is not",
    );
    expect(serve('--ice-servers', 'stun:a.example,http://b.example')).toContain(
      "'http://b.example' is not a stun: or stuns: URL",
    );
    expect(serve('--ice-servers', 'stun:a.example:99999')).toContain("'stun:a.example:99999'");
    expect(serve('--ice-servers', 'turn:t.example')).toContain(
      "--ice-servers: 'turn:t.example' needs a username and credential",
    );
    const nine = Array(9).fill('stun:a.example').join(',');
    expect(serve('--ice-servers', nine)).toContain('at most 8 servers, not 9');
    const eight = Array(8).fill('stun:a.example').join(',');
    expect(
      serve('--ice-servers', eight, '--turn-secret', 's', '--turn-url', 'turn:t.example'),
    ).toContain('at most 7 servers with --turn-url, not 8');
    expect(serve('--turn-secret', 's')).toContain('--turn-secret needs --turn-url');
    expect(serve('--turn-url', 'turn:t.example')).toContain('--turn-url needs --turn-secret');
    expect(serve('--turn-secret', '', '--turn-url', 'turn:t.example')).toContain(
      '--turn-secret must not be empty',
    );
    expect(serve('--turn-secret', 's', '--turn-url', 'turn:t.example,stun:s.example')).toContain(
      "--turn-url: 'stun:s.example' is not a turn: or turns: URL",
    );
    expect(serve('--turn-secret', 's', '--turn-url', 'turn:t.example?transport=quic')).toContain(
      "'turn:t.example?transport=quic'",
    );
    const many = Array(9).fill('turn:t.example').join(',');
    expect(serve('--turn-secret', 's', '--turn-url', many)).toContain(
      '--turn-url takes at most 8 URLs',
    );
  });

  it('reads TLS files and trusted proxies, and refuses half a TLS pair or a bad address', () => {
    const command = parseCommand([
      'serve',
      'site',
      '--tls-cert',
      'c.pem',
      '--tls-key',
      'k.pem',
      '--trust-proxy',
      'loopback, 10.0.0.0/8,::1',
    ]);
    expect(command).toMatchObject({
      tls: { certFile: 'c.pem', keyFile: 'k.pem' },
      trustProxy: ['loopback', '10.0.0.0/8', '::1'],
    });
    expect(parseCommand(['serve', 'site'])).not.toHaveProperty('tls');
    const serve = (...args: string[]) => usageError(['serve', 'a', ...args]);
    expect(serve('--tls-cert', 'c.pem')).toContain('--tls-cert and --tls-key go together');
    expect(serve('--tls-key', 'k.pem')).toContain('--tls-cert and --tls-key go together');
    expect(serve('--trust-proxy', '10.0.0.1,proxy.example')).toContain(
      "--trust-proxy takes IP addresses, CIDR blocks or 'loopback', not 'proxy.example'",
    );
    expect(serve('--trust-proxy', '')).toContain("not ''");
  });

  it('reads --allowed-origins lists and --allow-origin, as origins, together', () => {
    const command = parseCommand([
      'serve',
      'site',
      '--allowed-origins',
      'https://a.example, https://B.example:443/x',
      '--allowed-origins',
      'http://c.example:8080',
      '--allow-origin',
      'https://d.example',
    ]);
    expect(command).toMatchObject({
      allowedOrigins: [
        'https://a.example',
        'https://b.example',
        'http://c.example:8080',
        'https://d.example',
      ],
    });
    expect(parseCommand(['serve', 'site'])).not.toHaveProperty('allowedOrigins');
    for (const bad of ['null', 'a.example', 'https://a.example,', 'file:///x']) {
      expect(usageError(['serve', 'a', '--allowed-origins', bad]), bad).toContain(
        '--allowed-origins takes http(s) origins',
      );
    }
  });
});
