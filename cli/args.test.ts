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
    expect(parseCommand(['build', 'site'])).toEqual({ name: 'build', siteDir: 'site' });
    expect(parseCommand(['serve', 'site'])).toEqual({
      name: 'serve',
      siteDir: 'site',
      port: 8080,
      host: '127.0.0.1',
      inject: true,
      firstVisit: 'bootstrap',
    });
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
      ]),
    ).toEqual({
      name: 'serve',
      siteDir: 'site',
      port: 0,
      host: '0.0.0.0',
      inject: false,
      firstVisit: 'off',
    });
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
});
