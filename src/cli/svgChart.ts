// A small line chart as standalone SVG text: no dependency, opens in any browser, diffs as text.
// Enough for a benchmark's learning curve: numeric x, y in a fixed range, a legend, and
// optional dashed horizontal reference lines (a target).

export interface Series {
  name: string;
  color: string;
  points: ReadonlyArray<readonly [number, number]>;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** The y range shown; values outside are clipped to it. */
  yMin?: number;
  yMax?: number;
  /** Horizontal dashed lines, e.g. a target. */
  references?: Array<{ y: number; label: string; color: string }>;
  width?: number;
  height?: number;
}

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Tick values 1, 2 or 5 × 10^k apart, about `count` of them across [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  // Rounded to the step's decimals, so 0.30000000000000004 prints as 0.3.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toFixed(decimals)));
  return out;
}

function tickText(v: number): string {
  return Number.isInteger(v) ? v.toLocaleString('en-US') : String(Number(v.toPrecision(3)));
}

export function renderLineChart(chart: LineChart): string {
  const width = chart.width ?? 760;
  const height = chart.height ?? 420;
  const m = { left: 64, right: 24, top: 44, bottom: 56 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const xs = chart.series.flatMap((s) => s.points.map((p) => p[0]));
  const xMin = xs.length > 0 ? Math.min(0, ...xs) : 0;
  const xMax = xs.length > 0 ? Math.max(...xs) : 1;
  const xHi = xMax > xMin ? xMax : xMin + 1;
  const yMin = chart.yMin ?? 0;
  const yMax = chart.yMax ?? 1;
  const sx = (x: number): number => m.left + ((x - xMin) / (xHi - xMin)) * plotW;
  const sy = (y: number): number => m.top + (1 - (Math.min(yMax, Math.max(yMin, y)) - yMin) / (yMax - yMin)) * plotH;
  const f = (v: number): string => v.toFixed(1);

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escape(chart.title)}</text>`);
  for (const y of niceTicks(yMin, yMax, 5)) {
    parts.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${f(sy(y))}" y2="${f(sy(y))}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${m.left - 6}" y="${f(sy(y) + 4)}" text-anchor="end">${tickText(y)}</text>`);
  }
  for (const x of niceTicks(xMin, xHi, 8)) {
    parts.push(`<line x1="${f(sx(x))}" x2="${f(sx(x))}" y1="${m.top + plotH}" y2="${m.top + plotH + 5}" stroke="#333"/>`);
    parts.push(`<text x="${f(sx(x))}" y="${m.top + plotH + 19}" text-anchor="middle">${tickText(x)}</text>`);
  }
  parts.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${m.top + plotH}" y2="${m.top + plotH}" stroke="#333"/>`);
  parts.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + plotH}" stroke="#333"/>`);
  parts.push(`<text x="${m.left + plotW / 2}" y="${height - 14}" text-anchor="middle">${escape(chart.xLabel)}</text>`);
  parts.push(`<text transform="translate(18 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escape(chart.yLabel)}</text>`);
  for (const r of chart.references ?? []) {
    parts.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${f(sy(r.y))}" y2="${f(sy(r.y))}" stroke="${escape(r.color)}" stroke-dasharray="6 4"/>`);
    // Under the line at its left end: above it and at the right, the lines being compared run.
    parts.push(`<text x="${m.left + 6}" y="${f(sy(r.y) + 14)}" text-anchor="start" fill="${escape(r.color)}">${escape(r.label)}</text>`);
  }
  for (const s of chart.series) {
    if (s.points.length === 0) continue;
    const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${f(sx(p[0]))},${f(sy(p[1]))}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${escape(s.color)}" stroke-width="2"/>`);
    for (const p of s.points) parts.push(`<circle cx="${f(sx(p[0]))}" cy="${f(sy(p[1]))}" r="2.5" fill="${escape(s.color)}"/>`);
  }
  // The legend sits in the lower right on a white box: learning curves rise, so that corner is
  // usually empty, and the box keeps it readable when it is not.
  if (chart.series.length > 0) {
    const boxW = 52 + 6.6 * Math.max(...chart.series.map((s) => s.name.length));
    const boxH = 10 + 18 * chart.series.length;
    const x0 = m.left + plotW - boxW - 8;
    const y0 = m.top + plotH - boxH - 8;
    parts.push(`<rect x="${f(x0)}" y="${f(y0)}" width="${f(boxW)}" height="${boxH}" fill="white" fill-opacity="0.9" stroke="#ccc"/>`);
    chart.series.forEach((s, i) => {
      const y = y0 + 14 + i * 18;
      parts.push(`<line x1="${f(x0 + 10)}" x2="${f(x0 + 34)}" y1="${y}" y2="${y}" stroke="${escape(s.color)}" stroke-width="2"/>`);
      parts.push(`<text x="${f(x0 + 40)}" y="${y + 4}">${escape(s.name)}</text>`);
    });
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

export interface Bar {
  label: string;
  /** Null when there is no value to draw (too little data): the note is written instead. */
  value: number | null;
  lower?: number;
  upper?: number;
  note?: string;
  color?: string;
}

export interface BarChart {
  title: string;
  xLabel: string;
  bars: Bar[];
  xMin?: number;
  xMax?: number;
  /** Vertical dashed lines, e.g. a pass mark. */
  references?: Array<{ x: number; label: string; color: string }>;
  width?: number;
}

/** Horizontal bars with optional interval whiskers, one row per bar: estimates with their uncertainty. */
export function renderBarChart(chart: BarChart): string {
  const width = chart.width ?? 760;
  const row = 24;
  const m = { left: 200, right: 40, top: 44, bottom: 48 };
  const plotW = width - m.left - m.right;
  const plotH = Math.max(1, chart.bars.length) * row;
  const height = m.top + plotH + m.bottom;
  const xMin = chart.xMin ?? 0;
  const xMax = chart.xMax ?? 1;
  const sx = (x: number): number => m.left + ((Math.min(xMax, Math.max(xMin, x)) - xMin) / (xMax - xMin || 1)) * plotW;
  const f = (v: number): string => v.toFixed(1);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12" role="img" aria-label="${escape(chart.title)}">`);
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escape(chart.title)}</text>`);
  for (const x of niceTicks(xMin, xMax, 6)) {
    parts.push(`<line x1="${f(sx(x))}" x2="${f(sx(x))}" y1="${m.top}" y2="${m.top + plotH}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${f(sx(x))}" y="${m.top + plotH + 16}" text-anchor="middle">${tickText(x)}</text>`);
  }
  if (xMin < 0 && xMax > 0) parts.push(`<line x1="${f(sx(0))}" x2="${f(sx(0))}" y1="${m.top}" y2="${m.top + plotH}" stroke="#333"/>`);
  parts.push(`<text x="${m.left + plotW / 2}" y="${height - 10}" text-anchor="middle">${escape(chart.xLabel)}</text>`);
  chart.bars.forEach((b, i) => {
    const y = m.top + i * row;
    const label = b.label.length > 30 ? `${b.label.slice(0, 29)}…` : b.label;
    parts.push(`<text x="${m.left - 8}" y="${y + row / 2 + 4}" text-anchor="end">${escape(label)}</text>`);
    if (b.value === null) {
      parts.push(`<text x="${m.left + 6}" y="${y + row / 2 + 4}" fill="#777" font-style="italic">${escape(b.note ?? 'no value')}</text>`);
      return;
    }
    const x0 = sx(Math.max(xMin, Math.min(0, xMax)));
    const x1 = sx(b.value);
    parts.push(`<rect class="bar" x="${f(Math.min(x0, x1))}" y="${y + 4}" width="${f(Math.max(1, Math.abs(x1 - x0)))}" height="${row - 8}" fill="${escape(b.color ?? '#4a7ab5')}"/>`);
    if (b.lower !== undefined && b.upper !== undefined) {
      const cy = y + row / 2;
      parts.push(`<path d="M${f(sx(b.lower))},${cy} L${f(sx(b.upper))},${cy} M${f(sx(b.lower))},${cy - 5} L${f(sx(b.lower))},${cy + 5} M${f(sx(b.upper))},${cy - 5} L${f(sx(b.upper))},${cy + 5}" stroke="#222" stroke-width="1.5" fill="none"/>`);
    }
    if (b.note) parts.push(`<text x="${f(Math.min(m.left + plotW - 4, Math.max(x1, b.upper === undefined ? x1 : sx(b.upper)) + 6))}" y="${y + row / 2 + 4}" fill="#333">${escape(b.note)}</text>`);
  });
  for (const r of chart.references ?? []) {
    parts.push(`<line x1="${f(sx(r.x))}" x2="${f(sx(r.x))}" y1="${m.top - 4}" y2="${m.top + plotH}" stroke="${escape(r.color)}" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${f(sx(r.x) + 4)}" y="${m.top - 6}" fill="${escape(r.color)}">${escape(r.label)}</text>`);
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
