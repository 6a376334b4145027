// The dashboard's surge panel: which steps of the workflow's surge policy are in effect, the
// forecast wait they answer to, and the latest changes with their reasons.
import { query } from './api.ts';
import { useGet } from './useGet.ts';

interface Measured {
  queueDepth?: number;
  arrivalsPerHour?: number;
  humanShare?: number;
  reviewersActive?: number;
  meanHandleSeconds?: number;
  deferred?: number;
  forecast?: { waitSeconds: number | null; utilisation: number | null };
}

interface Change {
  id: string;
  at: string;
  action: string;
  direction: 'on' | 'off';
  reason: string;
}

interface SurgeData {
  configured: boolean;
  order: string[];
  active: string[];
  changedAt: string | null;
  targetWaitSeconds: number;
  enterAt: number | null;
  exitAt: number | null;
  measured: Measured | null;
  measuredAt: string | null;
  history: Change[];
}

const names: Record<string, string> = {
  prioritize: 'Raise priority of urgent items',
  lowerThresholds: 'Lower thresholds of low-risk labels (to the accuracy floor)',
  defer: 'Defer low-priority items',
  notify: 'Notify',
};

function seconds(s: number | null | undefined): string {
  if (s === null || s === undefined) return 'unbounded (nobody at work)';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export function SurgePanel({ workflow }: { workflow: string }) {
  const { data, error } = useGet<SurgeData>(`/v1/workflows/${encodeURIComponent(workflow)}/surge${query({ limit: 10 })}`, { everyMs: 15_000 });

  const m = data?.measured;
  return (
    <section className="surge card" aria-labelledby="surge-title" data-testid="surge">
      <h2 id="surge-title">Surge policy</h2>
      {error && <p className="notice error" role="alert">{error}</p>}
      {data && !data.configured && data.history.length === 0 && (
        <p className="muted">No surge policy: give the workflow a <code>surge</code> section to act when the forecast wait outgrows the target.</p>
      )}
      {data && (data.configured || data.history.length > 0) && (
        <>
          <p data-testid="surge-status">
            {data.active.length > 0 ? (
              <span className="tag warn">In surge: {data.active.length} of {data.order.length} steps in effect</span>
            ) : (
              <span className="tag">Normal: no step in effect</span>
            )}{' '}
            <span className="muted small">
              {m?.forecast
                ? `Forecast wait ${seconds(m.forecast.waitSeconds)} against the ${seconds(data.targetWaitSeconds)} target`
                : 'Not measured yet'}
              {data.enterAt !== null && data.exitAt !== null ? ` · steps up at ${Math.round(data.enterAt * 100)} %, back at ${Math.round(data.exitAt * 100)} %` : ''}
            </span>
          </p>
          {m && m.queueDepth !== undefined && (
            <p className="muted small" data-testid="surge-load">
              {m.queueDepth} waiting{m.deferred ? ` (+${m.deferred} deferred)` : ''} · {Math.round((m.arrivalsPerHour ?? 0) * (m.humanShare ?? 0))} tasks/h ·{' '}
              {m.reviewersActive} at work · {seconds(m.meanHandleSeconds)} per task
            </p>
          )}
          <ol className="surge-steps" aria-label="Surge steps in declared order">
            {data.order.map((a) => {
              const on = data.active.includes(a);
              return (
                <li key={a} className={on ? 'on' : ''}>
                  {names[a] ?? a} <span className={on ? 'tag warn' : 'muted small'}>{on ? 'in effect' : 'off'}</span>
                </li>
              );
            })}
          </ol>
          {data.history.length > 0 ? (
            <table className="list stats" aria-label="Surge changes, newest first">
              <thead>
                <tr><th>When</th><th>Change</th><th>Why</th></tr>
              </thead>
              <tbody>
                {data.history.map((h) => (
                  <tr key={h.id}>
                    <td>{new Date(h.at).toLocaleString()}</td>
                    <td>{h.direction === 'on' ? 'Took' : 'Reverted'}: {names[h.action] ?? h.action}</td>
                    <td className="small">{h.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted small">No changes yet.</p>
          )}
        </>
      )}
    </section>
  );
}
