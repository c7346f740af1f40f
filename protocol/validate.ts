import * as v from 'valibot';
import { type ErrorCode, PeerConnectError } from './errors.js';

/**
 * Validates untrusted input against a schema; on failure throws PeerConnectError(code) naming
 * the first offending field, so every entry point reports bad input the same way.
 */
export function parseWith<T>(
  schema: v.GenericSchema<unknown, T>,
  input: unknown,
  code: ErrorCode,
): T {
  const result = v.safeParse(schema, input);
  if (!result.success) {
    const issue = result.issues[0];
    throw new PeerConnectError(
      code,
      `${(issue && v.getDotPath(issue)) ?? 'input'}: ${issue?.message}`,
    );
  }
  return result.output;
}
