import * as v from 'valibot';

/**
 * Validates untrusted input against a schema; on failure throws what `fail` makes of the first
 * offending field ("assets.0.peer: Invalid type"), for domains with their own coded errors.
 */
export function parseOrThrow<T>(
  schema: v.GenericSchema<unknown, T>,
  input: unknown,
  fail: (details: string) => Error,
): T {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const issue = result.issues[0];
  throw fail(`${(issue && v.getDotPath(issue)) ?? 'input'}: ${issue?.message}`);
}
