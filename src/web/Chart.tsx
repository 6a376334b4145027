// A small wrapper around uPlot: a chart that fits its container's width and says what it shows
// to screen readers (its caption and a one-line summary).
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Line {
  label: string;
  color: string;
  values: Array<number | null>;
  dash?: number[];
  points?: boolean;
}

export interface ChartProps {
  id: string;
  title: string;
  summary: string;
  x: number[];
  lines: Line[];
  /** x as unix seconds on a time axis; else a number axis. */
  time?: boolean;
  xLabel?: string;
  yRange?: [number, number];
  yFormat?: (v: number) => string;
  height?: number;
}

export function Chart({ id, title, summary, x, lines, time = true, xLabel, yRange, yFormat, height = 170 }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      scales: { x: { time }, y: yRange ? { range: yRange } : { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } },
      axes: [
        { stroke: '#444', grid: { stroke: '#e5e5e5' }, ...(xLabel ? { label: xLabel } : {}) },
        { stroke: '#444', grid: { stroke: '#e5e5e5' }, size: 56, ...(yFormat ? { values: (_u: uPlot, vs: number[]) => vs.map(yFormat) } : {}) },
      ],
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      series: [{}, ...lines.map((l) => ({ label: l.label, stroke: l.color, width: 2, spanGaps: true, ...(l.dash ? { dash: l.dash } : {}), points: { show: l.points ?? l.values.filter((v) => v !== null).length < 40 } }))],
    };
    const plot = new uPlot(opts, [x, ...lines.map((l) => l.values)] as uPlot.AlignedData, el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [x, lines, time, xLabel, yRange, yFormat, height]);
  return (
    <figure className="chart" data-testid={`chart-${id}`} aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`}>{title}</figcaption>
      <div ref={box} className="plot" role="img" aria-label={`${title}: ${summary}`} style={{ minHeight: height + 40 }} />
    </figure>
  );
}
