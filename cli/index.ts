/** The `peerconnect` command line. */
export type { CliIo } from './cli-io.js';
export { runCli } from './run.js';
