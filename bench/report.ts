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
}

export function printTable(rows: ResultRow[]): void {
  console.table(
    rows.map((row) => ({
      scenario: row.scenario,
      variant: row.variant,
      value: `${row.value.toFixed(row.unit === 'ms' ? 0 : 1)} ${row.unit}`,
      'origin asset bytes': row.originAssetBytes ?? '',
      'vs baseline':
        row.ratioToBaseline === undefined ? '' : `${(row.ratioToBaseline * 100).toFixed(0)} %`,
      runs: row.runs?.join(' / ') ?? '',
    })),
  );
}

/** Writes the rows with the machine they ran on; returns the file path. */
export async function writeResults(rows: ResultRow[]): Promise<string> {
  const dir = join(import.meta.dirname, 'results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version };
  await writeFile(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), machine, rows }, null, 2)}\n`,
  );
  return file;
}
