import { defineCodedError } from '../protocol/index.js';

/** Expected failures of starting `peerconnect serve`: the CLI prints them and exits 1. */
export const ServerError = defineCodedError('ServerError', {
  'port-in-use': 'the port is already in use',
  'listen-failed': 'the server could not listen',
});
export type ServerError = InstanceType<typeof ServerError>;
