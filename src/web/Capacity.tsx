// The capacity panel of the dashboard: how many reviewers the workflow needs now for a target
// wait (Erlang C on its measured arrivals, handle time and automation), and how that changes if
// the confidence threshold moved.
import { useState } from 'react';
import { query } from './api.ts';
import { useGet } from './useGet.ts';
import { pct } from './ItemView.tsx';

interface Performance {
  agents: number;
  serviceLevel: number;
  probabilityOfWaiting: number;
  expectedWaitSeconds: number | null;
  occupancy: number;
}

interface CapacityData {
  threshold: number;
  measured: { items: number; answers: number; arrivalsPerHour: number | null; handleSeconds: number | null };
  sources: { arrivalsPerHour: string; handleSeconds: string; automationRate: string };
  plan: {
    needed: number;
    reviewers: number;
    humanArrivalsPerHour: number;
    input: { arrivalsPerHour: number; handleSeconds: number; automationRate: number; serviceLevel: number; withinSeconds: number };
    achieved: Performance;
  };
  whatIf: Array<{ threshold: number; automationRate: number; estimatedAccuracy: number | null; needed: number; reviewers: number; expectedWaitSeconds: number | null }>;
}

const targets: Array<[string, number]> = [['20 s', 20], ['1 min', 60], ['5 min', 300], ['1 hour', 3600]];

function wait(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return 'unbounded';
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

const rate = (x: number) => (x < 10 ? x.toFixed(1) : Math.round(x).toLocaleString('en-US'));
const source = (s: string) => (s === 'measured' ? 'measured' : 'assumed');

export function CapacityPanel({ workflow }: { workflow: string }) {
  const [within, setWithin] = useState(60);
  const { data, error } = useGet<CapacityData>(`/v1/workflows/${encodeURIComponent(workflow)}/capacity${query({ serviceLevel: 0.8, withinSeconds: within })}`, { keepWhileLoading: true });

  const p = data?.plan;
  return (
    <section className="capacity" aria-labelledby="capacity-title" data-testid="capacity">
      <h2 id="capacity-title">Capacity</h2>
      <label>
        Target: 80 % of items reaching people started within{' '}
        <select value={within} onChange={(e) => setWithin(Number(e.target.value))}>
          {targets.map(([label, s]) => (
            <option key={s} value={s}>{label}</option>
          ))}
        </select>
      </label>
      {error && <p className="notice error" role="alert">{error}</p>}
      {data && p && (
        <>
          <div className="tiles">
            <div className="tile">
              <div className="tile-label">Reviewers needed now</div>
              <div className="tile-value">{p.reviewers}</div>
              <div className="tile-note">{pct(p.achieved.serviceLevel, 1)} started within {wait(p.input.withinSeconds)} (Erlang C)</div>
            </div>
            <div className="tile">
              <div className="tile-label">Expected wait</div>
              <div className="tile-value">{wait(p.achieved.expectedWaitSeconds)}</div>
              <div className="tile-note">{pct(p.achieved.probabilityOfWaiting, 0)} of items wait at all</div>
            </div>
            <div className="tile">
              <div className="tile-label">Occupancy</div>
              <div className="tile-value">{pct(p.achieved.occupancy, 0)}</div>
              <div className="tile-note">of the reviewers' time busy</div>
            </div>
            <div className="tile">
              <div className="tile-label">Load</div>
              <div className="tile-value">{rate(p.humanArrivalsPerHour)}/h to people</div>
              <div className="tile-note">
                {rate(p.input.arrivalsPerHour)}/h in ({source(data.sources.arrivalsPerHour)}), {pct(p.input.automationRate, 0)} automated, {wait(p.input.handleSeconds)} per item ({source(data.sources.handleSeconds)})
              </div>
            </div>
          </div>
          <table className="list stats" aria-label="Reviewers needed by confidence threshold">
            <thead>
              <tr>
                <th scope="col">Threshold</th>
                <th scope="col">Automation</th>
                <th scope="col">Estimated accuracy</th>
                <th scope="col">Reviewers</th>
                <th scope="col">Expected wait</th>
              </tr>
            </thead>
            <tbody>
              {data.whatIf.map((w) => (
                <tr key={w.threshold} aria-current={w.threshold === data.threshold ? 'true' : undefined}>
                  <td>{w.threshold.toFixed(2)}{w.threshold === data.threshold ? ' (current)' : ''}</td>
                  <td>{pct(w.automationRate, 0)}</td>
                  <td>{pct(w.estimatedAccuracy, 1)}</td>
                  <td>{w.reviewers}</td>
                  <td>{wait(w.expectedWaitSeconds)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted small">Automation per threshold from the threshold preview; rules, audits and consensus votes add work on top.</p>
        </>
      )}
    </section>
  );
}
