import uPlot from 'uplot';
import { formatBytes, formatCount } from './format.js';

/** The series colors, shared with the cards of the page. */
export const COLORS = {
  peer: '#0d9488',
  origin: '#ea7a2e',
  cache: '#94a3b8',
  originServed: '#9a3412',
  peers: '#4f46e5',
} as const;

const CHART_HEIGHT_PX = 240;
const PHONE_CHART_HEIGHT_PX = 190;
const PHONE_MAX_WIDTH_PX = 600;
const AXIS_COLOR = '#64748b';
const GRID_COLOR = 'rgba(100, 116, 139, 0.15)';
/** Fill under the peers line, as two hex digits of alpha. */
const FILL_ALPHA = '2e';
const Y_HEADROOM = 1.1;
/** A bar takes this share of its minute, and never more than this many pixels. */
const BAR_SIZE: [number, number] = [0.8, 24];
const DASH_PX = [6, 4];
const Y_AXIS_PX = 64;
/** Tick steps for a count: never a tick between two whole peers. */
const COUNT_INCREMENTS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000];

/** A time span in epoch seconds: the x axis always spans it, data or not. */
export interface TimeSpan {
  from: number;
  to: number;
}

export interface Chart {
  /** x: epoch seconds; ys: one array per series, in the order the chart declares them. */
  setData(span: TimeSpan, x: number[], ys: Array<Array<number | null>>): void;
}

function chartHeight(width: number): number {
  return width < PHONE_MAX_WIDTH_PX ? PHONE_CHART_HEIGHT_PX : CHART_HEIGHT_PX;
}

/** A uPlot time chart that fills its container's width and follows it when the page resizes. */
function timeChart(
  container: HTMLElement,
  series: uPlot.Series[],
  value: (n: number) => string,
  span: TimeSpan,
  yIncrements?: number[],
): uPlot {
  const width = container.clientWidth;
  const axis: uPlot.Axis = {
    stroke: AXIS_COLOR,
    grid: { stroke: GRID_COLOR, width: 1 },
    ticks: { stroke: GRID_COLOR, width: 1 },
  };
  const plot = new uPlot(
    {
      width,
      height: chartHeight(width),
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true, range: () => [span.from, span.to] },
        y: { range: (_u, _min, max) => [0, Math.max(max, 1) * Y_HEADROOM] },
      },
      axes: [
        axis,
        { ...axis, size: Y_AXIS_PX, incrs: yIncrements, values: (_u, ticks) => ticks.map(value) },
      ],
      series: [{}, ...series],
    },
    [[], ...series.map(() => [])],
    container,
  );
  new ResizeObserver(() => {
    const w = container.clientWidth;
    if (w !== plot.width) plot.setSize({ width: w, height: chartHeight(w) });
  }).observe(container);
  return plot;
}

/**
 * Bytes per minute visitors got from peers, the origin and their cache, as stacked bars, and
 * what the origin itself sent as a dashed line. uPlot does not stack: each bar is drawn as
 * the running sum, tallest first, and the legend shows the minute's own figure.
 */
export function bytesChart(container: HTMLElement): Chart {
  const span: TimeSpan = { from: 0, to: 1 };
  let raw: Array<Array<number | null>> = [];
  const bars = uPlot.paths.bars?.({ size: BAR_SIZE });
  const own = (label: string, color: string, index: number): uPlot.Series => ({
    label,
    stroke: color,
    fill: color,
    width: 0,
    paths: bars,
    points: { show: false },
    value: (_u, _v, _si, i) => (i === null ? '–' : formatBytes(raw[index]?.[i] ?? 0)),
  });
  const plot = timeChart(
    container,
    [
      own('From peers', COLORS.peer, 0),
      own('From origin', COLORS.origin, 1),
      own('From cache', COLORS.cache, 2),
      {
        label: 'Origin sent',
        stroke: COLORS.originServed,
        width: 2,
        dash: DASH_PX,
        value: (_u, v) => (v === null ? '–' : formatBytes(v)),
      },
    ],
    formatBytes,
    span,
  );
  return {
    setData(range, x, ys) {
      Object.assign(span, range);
      raw = ys;
      const [peer = [], origin = [], cache = [], served = []] = ys;
      const sum = (...parts: Array<Array<number | null>>) =>
        x.map((_, i) => parts.reduce<number>((total, part) => total + (part[i] ?? 0), 0));
      plot.setData([x, sum(peer, origin, cache), sum(origin, cache), sum(cache), served]);
    },
  };
}

export function peersChart(container: HTMLElement): Chart {
  const span: TimeSpan = { from: 0, to: 1 };
  const plot = timeChart(
    container,
    [
      {
        label: 'Peers online',
        stroke: COLORS.peers,
        fill: `${COLORS.peers}${FILL_ALPHA}`,
        width: 2,
        paths: uPlot.paths.stepped?.({ align: 1 }),
        value: (_u, v) => (v === null ? '–' : formatCount(v)),
      },
    ],
    formatCount,
    span,
    COUNT_INCREMENTS,
  );
  return {
    setData(range, x, ys) {
      Object.assign(span, range);
      plot.setData([x, ...ys] as uPlot.AlignedData);
    },
  };
}
