// The lead's dashboard: per workflow over a chosen range, the figures that say whether the
// machine and the people together meet the target, at what cost and speed; as charts.
import { useMemo, useState } from 'react';
import { query } from './api.ts';
import { CapacityPanel } from './Capacity.tsx';
import { Chart, type Line } from './Chart.tsx';
import { pct } from './ItemView.tsx';
import { QualityPanel } from './Quality.tsx';
import { SurgePanel } from './Surge.tsx';
import { ChatMetricsPanel } from './ChatMetrics.tsx';
import type { Workflow } from './types.ts';
import { WorkflowPicker } from './WorkflowPicker.tsx';
import { useGet } from './useGet.ts';

interface Bucket {
  at: string;
  items: number;
  auto: number;
  toPeople: number;
  automationRate: number | null;
  p50Seconds: number | null;
  p95Seconds: number | null;
  answers: number;
  humanHours: number;
  slaAttainment: number | null;
  queueDepth: number;
}

interface DashboardData {
  workflow: string;
  buckets: Bucket[];
  totals: {
    items: number;
    auto: number;
    toPeople: number;
    automationRate: number | null;
    answers: number;
    humanHours: number;
    p50Seconds: number | null;
    p95Seconds: number | null;
    slaAttainment: number | null;
    cost: { reviewers: number; errors: number; total: number; currency: string } | null;
  };
  accuracy: { target: number | null; estimated: { estimate: number; lower: number; upper: number }; humanShare: number; basis: string; threshold: number | null };
  model: {
    versions: Array<{ version: number; trainingSize: number; accuracy: number | null; ece: number | null }>;
    reliability: Array<{ lower: number; upper: number; count: number; meanConfidence: number | null; accuracy: number | null }>;
  };
}

const ranges: Array<[string, number, number]> = [
  ['Last hour', 3600, 120],
  ['Last 24 hours', 86400, 1800],
  ['Last 7 days', 7 * 86400, 6 * 3600],
  ['Last 30 days', 30 * 86400, 86400],
];

const blue = '#0b57d0';
const red = '#b3261e';
const green = '#146c2e';
const amber = '#8a5300';
const grey = '#5f6368';

function duration(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '—';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

const pctAxis = (v: number) => `${Math.round(v * 100)}%`;

export function Dashboard() {
  const list = useGet<{ workflows: Workflow[] }>('/v1/workflows');
  const workflows = list.data?.workflows ?? [];
  const [chosen, setName] = useState<string>('');
  const name = chosen || workflows[0]?.name || '';
  const [range, setRange] = useState(1);
  // The period starts when the workflow or range is chosen; each re-read ends it now (the server's default `to`).
  const period = useMemo(() => {
    if (!name) return null;
    const to = new Date();
    return { from: new Date(to.getTime() - ranges[range]![1] * 1000).toISOString(), to: to.toISOString() };
  }, [name, range]);
  const dashboard = useGet<DashboardData>(
    period && `/v1/workflows/${encodeURIComponent(name)}/dashboard${query({ from: period.from, bucket: ranges[range]![2] })}`,
    { everyMs: 30_000 },
  );
  const data = dashboard.data;
  const error = list.error ?? dashboard.error;

  const series = useMemo(() => {
    if (!data) return null;
    const x = data.buckets.map((b) => Date.parse(b.at) / 1000);
    const col = (f: (b: Bucket) => number | null) => data.buckets.map(f);
    const mk = (label: string, color: string, values: Array<number | null>, dash?: number[]): Line => ({ label, color, values, ...(dash ? { dash } : {}) });
    const versions = data.model.versions.filter((v) => v.accuracy !== null);
    const bins = data.model.reliability.filter((b) => b.count > 0 && b.meanConfidence !== null);
    return {
      x,
      items: [mk('items in', blue, col((b) => b.items)), mk('decided by machine', green, col((b) => b.auto)), mk('to people', amber, col((b) => b.toPeople))],
      automation: [mk('automation rate', green, col((b) => b.automationRate))],
      latency: [mk('p50', blue, col((b) => b.p50Seconds)), mk('p95', red, col((b) => b.p95Seconds))],
      work: [mk('human-hours', amber, col((b) => b.humanHours)), mk('answers ÷ 10', grey, col((b) => b.answers / 10), [4, 4])],
      sla: [mk('SLA attainment', green, col((b) => b.slaAttainment))],
      depth: [mk('open tasks', blue, col((b) => b.queueDepth))],
      learningX: versions.map((v) => v.trainingSize),
      learning: [
        mk('held-out accuracy', blue, versions.map((v) => v.accuracy)),
        ...(data.accuracy.target !== null ? [mk('target', red, versions.map(() => data.accuracy.target), [6, 4])] : []),
      ],
      reliabilityX: bins.map((b) => b.meanConfidence!),
      reliability: [
        { ...mk('accuracy', blue, bins.map((b) => b.accuracy)), points: true },
        mk('perfect calibration', grey, bins.map((b) => b.meanConfidence), [4, 4]),
      ],
    };
  }, [data]);

  const t = data?.totals;
  const acc = data?.accuracy;
  const metTarget = acc && acc.target !== null ? acc.estimated.lower >= acc.target : null;

  return (
    <div className="dashboard">
      <div className="toolbar">
        <h1>Dashboard</h1>
        <WorkflowPicker names={workflows.map((w) => w.name)} value={name} onChange={setName} />
        <label>
          Range{' '}
          <select value={range} onChange={(e) => setRange(Number(e.target.value))}>
            {ranges.map(([label], i) => (
              <option key={label} value={i}>{label}</option>
            ))}
          </select>
        </label>
      </div>
      {error && <p className="notice error" role="alert">{error}</p>}
      {!data && !error && name && <p className="muted" role="status">Loading {name}…</p>}
      {t && acc && series && (
        <>
          <div className="tiles">
            <Tile label="Items in" value={String(t.items)} />
            <Tile label="Automation rate" value={pct(t.automationRate)} />
            <Tile
              label={`Estimated accuracy${acc.target !== null ? ` (target ${pct(acc.target, 1)})` : ''}`}
              value={pct(acc.estimated.estimate, 1)}
              note={`95 % bounds ${pct(acc.estimated.lower, 1)} – ${pct(acc.estimated.upper, 1)}${metTarget === null ? '' : metTarget ? ' · target met' : ' · target not shown met'}`}
              tone={metTarget === false ? 'bad' : metTarget ? 'good' : undefined}
            />
            <Tile label="Human workload" value={`${t.answers} answers`} note={`${t.humanHours.toFixed(1)} human-hours`} />
            <Tile label="Time to decision (people)" value={`p50 ${duration(t.p50Seconds)}`} note={`p95 ${duration(t.p95Seconds)}`} />
            <Tile label="SLA attainment" value={pct(t.slaAttainment)} />
            <Tile
              label="Cost"
              value={t.cost ? `${t.cost.total.toFixed(0)} ${t.cost.currency}` : 'not set'}
              note={t.cost ? `reviewers ${t.cost.reviewers.toFixed(0)} · errors ${t.cost.errors.toFixed(0)}` : 'set costs in Settings'}
            />
          </div>
          <SurgePanel workflow={name} />
          <div className="charts">
            <Chart id="items" title="Items in, and who decided" summary={`${t.items} items, ${t.auto} by the machine, ${t.toPeople} to people`} x={series.x} lines={series.items} />
            <Chart id="automation" title="Automation rate" summary={`overall ${pct(t.automationRate)}`} x={series.x} lines={series.automation} yRange={[0, 1]} yFormat={pctAxis} />
            <Chart id="latency" title="Time to decision, items people decided (seconds)" summary={`p50 ${duration(t.p50Seconds)}, p95 ${duration(t.p95Seconds)}`} x={series.x} lines={series.latency} />
            <Chart id="work" title="Human workload" summary={`${t.humanHours.toFixed(1)} human-hours, ${t.answers} answers`} x={series.x} lines={series.work} />
            <Chart id="sla" title="SLA attainment" summary={`overall ${pct(t.slaAttainment)}`} x={series.x} lines={series.sla} yRange={[0, 1]} yFormat={pctAxis} />
            <Chart id="depth" title="Queue depth" summary={`${series.depth[0]!.values.at(-1) ?? 0} open tasks now`} x={series.x} lines={series.depth} />
            {series.learningX.length > 0 ? (
              <Chart id="learning" title="Model learning curve (held-out accuracy by training-set size)" summary={`${series.learningX.length} model versions`} x={series.learningX} lines={series.learning} time={false} xLabel="labelled examples" yRange={[0, 1]} yFormat={pctAxis} />
            ) : (
              <p className="muted chart-empty">No model versions yet: the learning curve appears once the built-in model trains.</p>
            )}
            {series.reliabilityX.length > 0 ? (
              <Chart id="reliability" title="Reliability diagram (newest model, held-out examples)" summary="accuracy against confidence; on the diagonal is perfectly calibrated" x={series.reliabilityX} lines={series.reliability} time={false} xLabel="confidence" yRange={[0, 1]} yFormat={pctAxis} />
            ) : (
              <p className="muted chart-empty">No held-out examples yet for a reliability diagram.</p>
            )}
          </div>
          <CapacityPanel workflow={name} />
          {period && workflows.find((w) => w.name === name)?.answerType === 'reply' && <ChatMetricsPanel workflow={name} since={period.from} />}
          {period && (
            <QualityPanel
              workflow={name}
              attributes={(workflows.find((w) => w.name === name)?.auditableAttributes as string[] | undefined) ?? []}
              from={period.from}
              to={period.to}
            />
          )}
        </>
      )}
    </div>
  );
}

function Tile({ label, value, note, tone }: { label: string; value: string; note?: string; tone?: 'good' | 'bad' | undefined }) {
  return (
    <div className={`tile ${tone ?? ''}`}>
      <div className="tile-label">{label}</div>
      <div className="tile-value">{value}</div>
      {note && <div className="tile-note">{note}</div>}
    </div>
  );
}
