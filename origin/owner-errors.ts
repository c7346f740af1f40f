import { defineCodedError } from '../protocol/index.js';
import { ADMIN_TOKEN_MIN_LENGTH } from './admin-auth.js';

/** A server started with owner settings it cannot use: the CLI prints these and exits 1. */
export const OwnerConfigError = defineCodedError('OwnerConfigError', {
  'weak-token': `the admin token must be at least ${ADMIN_TOKEN_MIN_LENGTH} characters`,
  'bad-origin': 'an allowed origin must be a URL such as https://www.example.com',
});
