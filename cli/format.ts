const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;
const BYTE_UNIT_STEP = 1024;
const MS_PER_SECOND = 1000;

/** "512 B", "1.5 MiB". */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= BYTE_UNIT_STEP && unit < BYTE_UNITS.length - 1) {
    value /= BYTE_UNIT_STEP;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

/** "850 ms", "12.3 s". */
export function formatDuration(ms: number): string {
  return ms < MS_PER_SECOND ? `${Math.round(ms)} ms` : `${(ms / MS_PER_SECOND).toFixed(1)} s`;
}
