/** A short human reason for a file system error: "permission denied (EACCES)". */
export function errorReason(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const text = err.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
    return code && !text.includes(code) ? `${text} (${code})` : text;
  }
  return String(err);
}
