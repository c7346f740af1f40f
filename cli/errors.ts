/**
 * Expected failures of `peerconnect build` and `peerconnect serve`: the CLI prints the message
 * (no stack trace) and exits with the code's exit status. Messages live in this one map so
 * callers and tests branch on codes, never on text.
 */
export const CLI_ERROR_MESSAGES = {
  usage: 'invalid usage',
  'site-missing': 'the site directory does not exist',
  'site-not-directory': 'the site path is not a directory',
  'no-assets': 'no static assets found',
  'too-many-assets': 'the site has more assets than a manifest may list',
  'manifest-write-failed': 'could not write the manifest',
  'port-in-use': 'the port is already in use',
  'listen-failed': 'the server could not listen',
} as const;

export type CliErrorCode = keyof typeof CLI_ERROR_MESSAGES;

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly code: CliErrorCode,
    readonly details?: string,
  ) {
    super(details ? `${CLI_ERROR_MESSAGES[code]}: ${details}` : CLI_ERROR_MESSAGES[code]);
  }
}

export function isCliError(err: unknown, code?: CliErrorCode): err is CliError {
  return err instanceof CliError && (code === undefined || err.code === code);
}

/** Exit statuses of the `peerconnect` command. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
