/** `peerconnect build` and the command line, for the CLI entry, `serve` and scripts. */
export { type Command, parseCommand } from './args.js';
export type { CliIo } from './cli-io.js';
export { contentTypeFor } from './content-type.js';
export { CLI_ERROR_MESSAGES, CliError, type CliErrorCode, EXIT, isCliError } from './errors.js';
export {
  type BuildOptions,
  type BuildProgress,
  type BuildResult,
  buildManifest,
  manifestPathOf,
} from './manifest-builder.js';
export { runCli } from './run.js';
export type { SkippedFile, SkipReason } from './site-scan.js';
