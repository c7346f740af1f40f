import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RESULTS_DIR } from './report.js';

/** A plain horizontal bar chart as a standalone SVG file (no dependency, no script). */

export interface Bar {
  label: string;
  /** Drawn to scale against the largest value; printed with `text`. */
  value: number;
  text: string;
}

const WIDTH = 960;
const LABEL_WIDTH = 480;
/** Longer labels are cut (about 6.5 px a character at 13 px). */
const MAX_LABEL_CHARS = 70;
const VALUE_WIDTH = 90;
const BAR_HEIGHT = 22;
const GAP = 8;
const TOP = 44;
const BOTTOM = 28;

function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

function clip(label: string): string {
  return label.length <= MAX_LABEL_CHARS ? label : `${label.slice(0, MAX_LABEL_CHARS - 1)}…`;
}

/**
 * The SVG text of a bar chart titled `title`, with `footnote` under the bars and, at value
 * `reference` (e.g. 1 for ratios), a dashed line.
 */
export function barChartSvg(
  title: string,
  bars: readonly Bar[],
  footnote = '',
  reference?: number,
): string {
  const max = Math.max(1e-9, reference ?? 0, ...bars.map((bar) => bar.value));
  const span = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 20;
  const height = TOP + bars.length * (BAR_HEIGHT + GAP) + BOTTOM;
  const rows = bars.map((bar, i) => {
    const y = TOP + i * (BAR_HEIGHT + GAP);
    const width = Math.max(1, (Math.max(0, bar.value) / max) * span);
    const mid = y + BAR_HEIGHT / 2 + 4;
    return [
      `<text x="${LABEL_WIDTH - 8}" y="${mid}" text-anchor="end">${escapeXml(clip(bar.label))}</text>`,
      `<rect x="${LABEL_WIDTH}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="#3b7dd8"/>`,
      `<text x="${(LABEL_WIDTH + width + 6).toFixed(1)}" y="${mid}">${escapeXml(bar.text)}</text>`,
    ].join('');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="24" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    ...rows,
    ...(reference === undefined
      ? []
      : [
          `<line x1="${(LABEL_WIDTH + (reference / max) * span).toFixed(1)}" x2="${(LABEL_WIDTH + (reference / max) * span).toFixed(1)}" y1="${TOP - 6}" y2="${height - BOTTOM}" stroke="#333" stroke-dasharray="4 3"/>`,
        ]),
    `<text x="12" y="${height - 10}" fill="#555" font-size="11">${escapeXml(footnote)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

/** Writes the chart to `<name>.svg` in the results folder; returns the file path. */
export async function writeBarChart(
  name: string,
  title: string,
  bars: readonly Bar[],
  footnote?: string,
  reference?: number,
): Promise<string> {
  const file = join(RESULTS_DIR, `${name}.svg`);
  await writeFile(file, barChartSvg(title, bars, footnote, reference));
  return file;
}
