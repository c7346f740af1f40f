import { defineCodedError } from '../protocol/index.js';

/** Expected failures of starting `peerconnect serve`: the CLI prints them and exits 1. */
export const ServerError = defineCodedError('ServerError', {
  'port-in-use': 'the port is already in use',
  'listen-failed': 'the server could not listen',
  'stun-port-in-use': 'the STUN port is already in use',
  'stun-listen-failed': 'the STUN server could not listen',
  'bad-ice-servers': 'the ICE server settings are invalid',
  'tls-unreadable': 'a TLS certificate or key file cannot be read',
  'bad-tls': 'the TLS certificate or key is not valid PEM, or they do not match',
});
export type ServerError = InstanceType<typeof ServerError>;
