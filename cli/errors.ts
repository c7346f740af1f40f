import { defineCodedError } from '../protocol/index.js';

/** The command line was not understood: the CLI prints the usage and exits 2. */
export const CliError = defineCodedError('CliError', { usage: 'invalid usage' });
export type CliError = InstanceType<typeof CliError>;

/** Exit statuses of the `peerconnect` command. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
