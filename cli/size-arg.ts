import { CliError } from './errors.js';

/** Decimal units as disks and carriers count them, binary ones as memory does. */
const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
};
const SIZE = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

/** A byte size such as `50MB`, `512KiB`, `1.5GB` or `0` (bytes), for flag `flag`. */
export function parseSize(flag: string, text: string): number {
  const match = SIZE.exec(text.trim());
  const unit = UNITS[(match?.[2] || 'b').toLowerCase()];
  const bytes = match && unit !== undefined ? Math.round(Number(match[1]) * unit) : Number.NaN;
  if (!Number.isSafeInteger(bytes)) {
    throw new CliError(
      'usage',
      `${flag} takes a size such as 50MB, 512KiB or 0 (units B, KB, MB, GB, KiB, MiB, GiB), not '${text}'`,
    );
  }
  return bytes;
}
