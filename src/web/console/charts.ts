/**
 * Charts drawn on the server as inline SVG: no script (the CSP allows none), no style attributes
 * (the CSP allows no inline style; colours come from classes in public/styles.css), a few KB each.
 * Every mark carries a <title>, which browsers show on hover, and every chart has a text
 * alternative, so the numbers are there without a mouse or eyes.
 */

export interface Series {
  name: string;
  /** CSS class of its marks and legend swatch (chart-fill--…). */
  className: string;
  values: number[];
}

export interface BarChartOptions {
  /** Accessible name; also the SVG's <title>. */
  title: string;
  /** One label per bar position, e.g. '2026-04-01' or '2026-04-01T10'. */
  categories: string[];
  series: Series[];
  /**
   * 'stacked': series on top of each other (parts of a whole); 'overlaid': each series drawn from
   * the axis, the first widest (a count and a subset of it, like predictions and feedback).
   */
  layout: 'stacked' | 'overlaid';
  /** How each category is written under the axis (only every `labelEvery`-th is). */
  label: (category: string) => string;
  labelEvery: number;
  /** Tooltip text of one category. */
  describe: (category: string, index: number) => string;
  /** @default 720 */
  width?: ChartWidth;
}

export interface LineChartOptions {
  title: string;
  categories: string[];
  /** A share in [0, 1] per category, or null where there is nothing to measure. */
  values: (number | null)[];
  label: (category: string) => string;
  labelEvery: number;
  describe: (category: string, index: number) => string;
  /** @default 720 */
  width?: ChartWidth;
}

export interface TimelinePoint {
  /** ISO-8601. */
  at: string;
  /** Check-set accuracy in [0, 1], or null. */
  accuracy: number | null;
  kind: string;
  describe: string;
}

/**
 * Drawing units: a chart half the page wide is 720 wide, a full-width one 1,100, so that text,
 * which scales with the drawing, comes out about the same size in both.
 */
export type ChartWidth = 720 | 1100;
const HEIGHT = 220;
const MARGIN = { top: 12, right: 12, bottom: 34, left: 52 };
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;
const plotWidth = (width: ChartWidth): number => width - MARGIN.left - MARGIN.right;

/** Text for SVG content and attributes: the five XML characters escaped. */
export function xml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const round = (n: number): string => String(Math.round(n * 10) / 10);

let chartSerial = 0;
/** Ids for aria-labelledby, unique within a page (several charts share one). */
const nextId = (): string => `chart-${(chartSerial = (chartSerial + 1) % 1_000_000)}`;

/** A "nice" upper bound for an axis (1, 2 or 5 times a power of ten) and its tick step. */
export function niceScale(max: number): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 1 };
  const rough = max / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough)!;
  const stepInt = Math.max(step, 1);
  return { top: Math.ceil(max / stepInt) * stepInt, step: stepInt };
}

const compact = (n: number): string =>
  n >= 1_000_000 ? `${round(n / 1_000_000)}M` : n >= 10_000 ? `${Math.round(n / 1000)}k` : n.toLocaleString('en');

function frame(id: string, title: string, body: string, legend: Series[], width: ChartWidth): string {
  const legendItems = legend
    .map(
      (s) =>
        `<li><svg class="chart-swatch" width="12" height="12" aria-hidden="true"><rect class="${s.className}" width="12" height="12"/></svg>${xml(s.name)}</li>`,
    )
    .join('');
  return (
    `<figure class="chart">` +
    `<svg class="chart-svg" viewBox="0 0 ${width} ${HEIGHT}" role="img" aria-labelledby="${id}" data-qa="chart">` +
    `<title id="${id}">${xml(title)}</title>${body}</svg>` +
    (legendItems === '' ? '' : `<ul class="chart-legend">${legendItems}</ul>`) +
    `</figure>`
  );
}

function yAxis(top: number, step: number, format: (n: number) => string, width: ChartWidth): string {
  let out = '';
  for (let v = 0; v <= top + 1e-9; v += step) {
    const y = MARGIN.top + PLOT_H - (v / top) * PLOT_H;
    out += `<line class="chart-grid" x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${round(y)}" y2="${round(y)}"/>`;
    out += `<text class="chart-tick" x="${MARGIN.left - 6}" y="${round(y + 4)}" text-anchor="end">${xml(format(v))}</text>`;
  }
  return out;
}

function xLabels(
  categories: string[],
  label: (c: string) => string,
  every: number,
  slot: number,
  width: ChartWidth,
): string {
  let out = '';
  categories.forEach((category, i) => {
    if (i % every !== 0) return;
    const x = MARGIN.left + slot * i + slot / 2;
    out += `<text class="chart-tick" x="${round(x)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${xml(label(category))}</text>`;
  });
  return (
    out +
    `<line class="chart-axis" x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${MARGIN.top + PLOT_H}" y2="${MARGIN.top + PLOT_H}"/>`
  );
}

/** Counts per period as bars, stacked or overlaid. */
export function barChart(options: BarChartOptions): string {
  const { categories, series, layout, width = 720 } = options;
  const totals = categories.map((_, i) =>
    layout === 'stacked'
      ? series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0)
      : Math.max(0, ...series.map((s) => s.values[i] ?? 0)),
  );
  const { top, step } = niceScale(Math.max(0, ...totals));
  const slot = plotWidth(width) / Math.max(categories.length, 1);
  const gap = Math.min(2, slot * 0.15);
  const scale = (v: number) => (v / top) * PLOT_H;
  const base = MARGIN.top + PLOT_H;

  let bars = '';
  categories.forEach((category, i) => {
    const x = MARGIN.left + slot * i + gap / 2;
    const width = slot - gap;
    let marks = '';
    let stackedHeight = 0;
    series.forEach((s, k) => {
      const value = s.values[i] ?? 0;
      if (value <= 0) return;
      const h = scale(value);
      if (layout === 'stacked') {
        marks += `<rect class="${s.className}" x="${round(x)}" y="${round(base - stackedHeight - h)}" width="${round(width)}" height="${round(h)}"/>`;
        stackedHeight += h;
      } else {
        const inset = (width * k) / (series.length * 2);
        marks += `<rect class="${s.className}" x="${round(x + inset)}" y="${round(base - h)}" width="${round(width - 2 * inset)}" height="${round(h)}"/>`;
      }
    });
    // A transparent full-height target, so the tooltip shows wherever the pointer is in the column.
    bars += `<g class="chart-column"><title>${xml(options.describe(category, i))}</title>${marks}<rect class="chart-hit" x="${round(x)}" y="${MARGIN.top}" width="${round(width)}" height="${PLOT_H}"/></g>`;
  });
  const id = nextId();
  return frame(
    id,
    options.title,
    yAxis(top, step, compact, width) + bars + xLabels(categories, options.label, options.labelEvery, slot, width),
    series,
    width,
  );
}

/**
 * A share per period as a line with a point per measured period, gaps where there is none. The
 * axis spans the shares shown (in steps of 5 points), not 0–100%: a model going from 91% to 88%
 * right is the news, and on a full scale it would be a flat line.
 */
export function shareChart(options: LineChartOptions): string {
  const { categories, values, width = 720 } = options;
  const measured = values.filter((v): v is number => v !== null);
  const lo = measured.length === 0 ? 0 : Math.max(0, Math.floor(Math.min(...measured) * 20 - 0.5) / 20);
  const hi = measured.length === 0 ? 1 : Math.min(1, Math.ceil(Math.max(...measured) * 20 + 0.25) / 20);
  const slot = plotWidth(width) / Math.max(categories.length, 1);
  const xOf = (i: number) => MARGIN.left + slot * i + slot / 2;
  const yOf = (v: number) => MARGIN.top + PLOT_H - ((v - lo) / (hi - lo)) * PLOT_H;
  let path = '';
  let pen = false;
  let points = '';
  values.forEach((value, i) => {
    if (value === null) {
      pen = false;
      return;
    }
    path += `${pen ? 'L' : 'M'}${round(xOf(i))} ${round(yOf(value))} `;
    pen = true;
    points += `<g><title>${xml(options.describe(categories[i], i))}</title><circle class="chart-point" cx="${round(xOf(i))}" cy="${round(yOf(value))}" r="4"/></g>`;
  });
  const id = nextId();
  // Gridlines at round shares: every 2.5, 5 or 25 points, as the span allows.
  const step = hi - lo <= 0.1 ? 0.025 : hi - lo <= 0.3 ? 0.05 : 0.25;
  let grid = '';
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + 1e-9; k++) {
    const v = k * step;
    const y = yOf(v);
    grid += `<line class="chart-grid" x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${round(y)}" y2="${round(y)}"/>`;
    grid += `<text class="chart-tick" x="${MARGIN.left - 6}" y="${round(y + 4)}" text-anchor="end">${(v * 100).toFixed(step < 0.05 ? 1 : 0)}%</text>`;
  }
  const body =
    grid +
    (path === '' ? '' : `<path class="chart-line" d="${path.trim()}"/>`) +
    points +
    xLabels(categories, options.label, options.labelEvery, slot, width);
  return frame(id, options.title, body, [], width);
}

/**
 * The model's events on a time axis, at the height of their check-set accuracy (events without
 * one sit on the axis). The y axis spans the accuracies shown, so a one-point change is visible.
 */
export function timelineChart(
  title: string,
  points: TimelinePoint[],
  kinds: Series[],
  width: ChartWidth = 1100,
): string {
  const id = nextId();
  if (points.length === 0) {
    return frame(
      id,
      title,
      `<text class="chart-empty" x="${width / 2}" y="${HEIGHT / 2}" text-anchor="middle">No model events yet</text>`,
      [],
      width,
    );
  }
  const times = points.map((p) => Date.parse(p.at));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const span = Math.max(t1 - t0, 3600_000);
  const accuracies = points.map((p) => p.accuracy).filter((a): a is number => a !== null);
  const lo = accuracies.length === 0 ? 0 : Math.max(0, Math.floor(Math.min(...accuracies) * 20 - 1) / 20);
  const hi = accuracies.length === 0 ? 1 : Math.min(1, Math.ceil(Math.max(...accuracies) * 20 + 0.5) / 20);
  const xOf = (t: number) => MARGIN.left + 10 + ((t - t0) / span) * (plotWidth(width) - 20);
  const yOf = (a: number | null) =>
    a === null ? MARGIN.top + PLOT_H : MARGIN.top + PLOT_H - ((a - lo) / (hi - lo)) * PLOT_H;
  let grid = '';
  for (let k = 0; k <= 4; k++) {
    const a = lo + ((hi - lo) * k) / 4;
    const y = yOf(a);
    grid += `<line class="chart-grid" x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${round(y)}" y2="${round(y)}"/>`;
    grid += `<text class="chart-tick" x="${MARGIN.left - 6}" y="${round(y + 4)}" text-anchor="end">${(a * 100).toFixed(1)}%</text>`;
  }
  const sorted = points.map((p, i) => ({ ...p, t: times[i] })).sort((a, b) => a.t - b.t);
  const measured = sorted.filter((p) => p.accuracy !== null);
  const line =
    measured.length < 2
      ? ''
      : `<path class="chart-line chart-line--thin" d="${measured.map((p, i) => `${i === 0 ? 'M' : 'L'}${round(xOf(p.t))} ${round(yOf(p.accuracy))}`).join(' ')}"/>`;
  const classOf = new Map(kinds.map((k) => [k.name, k.className]));
  const marks = sorted
    .map(
      (p) =>
        `<g><title>${xml(p.describe)}</title><circle class="${classOf.get(p.kind) ?? ''}" cx="${round(xOf(p.t))}" cy="${round(yOf(p.accuracy))}" r="6"/></g>`,
    )
    .join('');
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  const axis =
    `<line class="chart-axis" x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${MARGIN.top + PLOT_H}" y2="${MARGIN.top + PLOT_H}"/>` +
    `<text class="chart-tick" x="${round(xOf(t0))}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="start">${day(t0)}</text>` +
    (t1 > t0
      ? `<text class="chart-tick" x="${round(xOf(t1))}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="end">${day(t1)}</text>`
      : '');
  return frame(id, title, grid + line + marks + axis, kinds, width);
}
