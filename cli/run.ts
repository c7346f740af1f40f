import { packageVersion } from '../origin/index.js';
import { isCodedError } from '../protocol/index.js';
import { parseCommand } from './args.js';
import { runBuild } from './build-command.js';
import type { CliIo } from './cli-io.js';
import { CliError, EXIT } from './errors.js';
import { runServe } from './serve-command.js';
import { USAGE } from './usage.js';

/** Runs the `peerconnect` command line; resolves with the exit status. */
export async function runCli(argv: readonly string[], io: CliIo = process): Promise<number> {
  try {
    const command = parseCommand(argv);
    switch (command.name) {
      case 'help':
        io.stdout.write(USAGE);
        return EXIT.ok;
      case 'version':
        io.stdout.write(`${packageVersion()}\n`);
        return EXIT.ok;
      case 'build':
        return await runBuild(command.siteDir, command.exclude, io);
      case 'serve':
        return await runServe(command, io);
    }
  } catch (err) {
    if (CliError.is(err, 'usage')) {
      io.stderr.write(`peerconnect: ${err.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    // Expected failures get their message; anything else is a bug and keeps its stack.
    io.stderr.write(
      `peerconnect: ${isCodedError(err) ? err.message : ((err as Error)?.stack ?? err)}\n`,
    );
    return EXIT.failure;
  }
}
