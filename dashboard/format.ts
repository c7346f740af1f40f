/** How the dashboard writes its figures: bytes in SI units, ratios in percent, times in ms. */

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'] as const;
const SI_STEP = 1000;
const PERCENT = 100;
const MS_PER_SECOND = 1000;
const SECONDS_PER_MINUTE = 60;

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= SI_STEP && unit < BYTE_UNITS.length - 1) {
    value /= SI_STEP;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

/** A share in percent, one decimal below 10 %; a dash before there is anything to divide. */
export function formatRatio(ratio: number | null): string {
  if (ratio === null) return '–';
  const percent = ratio * PERCENT;
  return `${percent < 10 && percent > 0 ? percent.toFixed(1) : Math.round(percent)} %`;
}

export function formatMs(ms: number | null): string {
  if (ms === null) return '–';
  return ms >= MS_PER_SECOND ? `${(ms / MS_PER_SECOND).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

export function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

/** "just now", "12 s ago", "3 min ago": how fresh the figures on screen are. */
export function formatAge(ms: number): string {
  const seconds = Math.round(ms / MS_PER_SECOND);
  if (seconds < 2) return 'just now';
  if (seconds < SECONDS_PER_MINUTE) return `${seconds} s ago`;
  return `${Math.round(seconds / SECONDS_PER_MINUTE)} min ago`;
}
