/**
 * One shape for every domain's expected failures: a code, optional details, and the human
 * text kept in the domain's one message map, so callers branch on codes, never on strings.
 */
export class CodedError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly details?: string,
  ) {
    super(details ? `${message}: ${details}` : message);
  }
}

/** True for an expected failure of any domain (the CLI prints these without a stack). */
export function isCodedError(err: unknown): err is CodedError {
  return err instanceof CodedError;
}

export interface CodedErrorClass<Code extends string> {
  new (code: Code, details?: string): CodedError<Code>;
  readonly messages: Readonly<Record<Code, string>>;
  /** True when `err` is of this domain (and has `code`, when given). */
  is(err: unknown, code?: Code): err is CodedError<Code>;
}

/** Makes a domain's error class from its message map: `defineCodedError('CliError', {...})`. */
export function defineCodedError<const Messages extends Record<string, string>>(
  name: string,
  messages: Messages,
): CodedErrorClass<keyof Messages & string> {
  type Code = keyof Messages & string;
  class DomainError extends CodedError<Code> {
    static readonly messages = messages;
    constructor(code: Code, details?: string) {
      super(code, messages[code] ?? code, details);
      this.name = name;
    }
    static is(err: unknown, code?: Code): err is DomainError {
      return err instanceof DomainError && (code === undefined || err.code === code);
    }
  }
  return DomainError;
}
