import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';

export interface ResultRow {
  scenario: string;
  variant: string;
  value: number;
  unit: string;
  originAssetBytes?: number;
  ratioToBaseline?: number;
  runs?: number[];
  /** What the figure rests on (candidate pairs, dial failures, link limits). */
  note?: string;
}

export const RESULTS_DIR = join(import.meta.dirname, 'results');

export function printTable(rows: ResultRow[]): void {
  const withNotes = rows.some((row) => row.note !== undefined);
  console.table(
    rows.map((row) => ({
      scenario: row.scenario,
      variant: row.variant,
      value: `${row.value.toFixed(row.unit === 'ms' ? 0 : 1)} ${row.unit}`,
      'origin asset bytes': row.originAssetBytes ?? '',
      'vs baseline':
        row.ratioToBaseline === undefined ? '' : `${(row.ratioToBaseline * 100).toFixed(0)} %`,
      runs: row.runs?.join(' / ') ?? '',
      ...(withNotes ? { note: row.note ?? '' } : {}),
    })),
  );
}

/**
 * Writes the rows with the machine they ran on, to `<name>.json` (default: a dated
 * `bench-<date>.json`); returns the file path.
 */
export async function writeResults(rows: ResultRow[], name?: string): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const base = name ?? `bench-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const file = join(RESULTS_DIR, `${base}.json`);
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version };
  await writeFile(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), machine, rows }, null, 2)}\n`,
  );
  return file;
}
