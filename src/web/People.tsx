// People: who reviews what, with their throughput and agreement with final decisions; admins add people.
import { useEffect, useState, type FormEvent } from 'react';
import { get, message, post, type Me } from './api.ts';
import { pct } from './ItemView.tsx';
import { Stat, type Interval, type Measured } from './Quality.tsx';
import type { Workflow } from './types.ts';
import { WorkflowPicker } from './WorkflowPicker.tsx';
import { useGet } from './useGet.ts';

interface Person {
  id: string;
  email: string;
  name: string;
  role: string;
  skills: string[];
  workflows: string[];
  answers: number;
  medianSeconds: number | null;
  judged: number;
  agreement: number | null;
}

export function People({ me }: { me: Me }) {
  const [people, setPeople] = useState<Person[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    get<{ reviewers: Person[] }>('/v1/reviewers/stats')
      .then((r) => setPeople(r.reviewers))
      .catch((e) => setError(message(e)));
  useEffect(() => {
    void load();
  }, []);
  return (
    <div className="people">
      <h1>People</h1>
      <p className="muted">The last 7 days. Agreement: answers that match the item's current decision.</p>
      {error && <p className="notice error" role="alert">{error}</p>}
      {people && (
        <table className="list">
          <thead>
            <tr>
              <th scope="col">Person</th>
              <th scope="col">Role</th>
              <th scope="col">Workflows</th>
              <th scope="col">Skills</th>
              <th scope="col">Answers</th>
              <th scope="col">Median time</th>
              <th scope="col">Agreement</th>
            </tr>
          </thead>
          <tbody>
            {people.map((p) => (
              <tr key={p.id}>
                <td>{p.name}<br /><span className="muted small">{p.email}</span></td>
                <td>{p.role}</td>
                <td>{p.role === 'admin' ? 'all' : p.workflows.join(', ') || '—'}</td>
                <td>{p.skills.join(', ') || '—'}</td>
                <td>{p.answers}</td>
                <td>{p.medianSeconds === null ? '—' : `${p.medianSeconds.toFixed(1)} s`}</td>
                <td>{p.judged > 0 ? `${pct(p.agreement)} of ${p.judged}` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Accuracy />
      {me.role === 'admin' && <AddPerson onAdded={() => void load()} />}
    </div>
  );
}

function AddPerson({ onAdded }: { onAdded: () => void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('reviewer');
  const [workflows, setWorkflows] = useState('');
  const [result, setResult] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const r = await post<{ password: string }>('/v1/reviewers', {
        email, role, workflows: workflows.split(',').map((w) => w.trim()).filter(Boolean),
      });
      setResult(`Added ${email}. Password (shown once): ${r.password}`);
      setEmail('');
      onAdded();
    } catch (err) {
      setResult(message(err));
    }
  };
  return (
    <form className="card form" onSubmit={(e) => void submit(e)} aria-labelledby="add-title">
      <h2 id="add-title">Add a person</h2>
      <label>Email <input required value={email} onChange={(e) => setEmail(e.target.value)} /></label>
      <label>
        Role{' '}
        <select value={role} onChange={(e) => setRole(e.target.value)}>
          <option>reviewer</option>
          <option>lead</option>
          <option>admin</option>
        </select>
      </label>
      <label>Workflows (comma-separated) <input value={workflows} onChange={(e) => setWorkflows(e.target.value)} /></label>
      <button type="submit" className="primary">Add</button>
      <p role="status">{result}</p>
    </form>
  );
}

interface ReviewerAccuracy {
  gold: Array<{ reviewer: { id: string; email: string }; stage: string | null; answered: number; accuracy: Measured<Interval & { n: number }>; liveAccuracy: Measured<Interval & { n: number }> }>;
  dawidSkene: Measured<{ reviewers: Array<{ reviewer: { id: string; email: string }; accuracy: number; answers: number }> }>;
}

/** Per reviewer on one workflow: accuracy on gold, and estimated from overlapping answers (Dawid–Skene). */
function Accuracy() {
  const list = useGet<{ workflows: Workflow[] }>('/v1/workflows');
  const workflows = (list.data?.workflows ?? []).map((w) => w.name);
  const [chosen, setName] = useState('');
  const name = chosen || workflows[0] || '';
  const accuracy = useGet<ReviewerAccuracy>(name ? `/v1/workflows/${encodeURIComponent(name)}/quality/reviewers` : null);
  const data = accuracy.data;
  const error = list.error ?? accuracy.error;
  const ds = data?.dawidSkene;
  const byId = new Map<string, { email: string; gold?: ReviewerAccuracy['gold'][number]; ds?: { accuracy: number; answers: number } }>();
  for (const g of data?.gold ?? []) byId.set(g.reviewer.id, { email: g.reviewer.email, gold: g });
  if (ds?.kind === 'ok') for (const r of ds.reviewers) byId.set(r.reviewer.id, { ...(byId.get(r.reviewer.id) ?? { email: r.reviewer.email }), ds: r });
  const rows = [...byId.values()].sort((a, b) => a.email.localeCompare(b.email));
  return (
    <section className="accuracy" aria-labelledby="accuracy-title" data-testid="reviewer-accuracy">
      <div className="toolbar">
        <h2 id="accuracy-title">Accuracy</h2>
        <WorkflowPicker names={workflows} value={name} onChange={setName} />
      </div>
      <p className="muted">
        Gold: answers on items with a known right answer (all stages; live gold is mixed into queues unannounced). Estimated: each
        reviewer&apos;s accuracy from overlapping answers, without gold (Dawid–Skene).
        {ds && ds.kind !== 'ok' && <span className="insufficient"> Estimate: {ds.message}.</span>}
      </p>
      {error && <p className="notice error" role="alert">{error}</p>}
      {data && (rows.length === 0 ? (
        <p className="muted">No gold answers and no overlapping answers yet.</p>
      ) : (
        <table className="list">
          <thead>
            <tr>
              <th scope="col">Reviewer</th>
              <th scope="col">Stage</th>
              <th scope="col">Gold accuracy</th>
              <th scope="col">Live gold</th>
              <th scope="col">Estimated accuracy</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.email}>
                <td>{r.email}</td>
                <td>{r.gold?.stage ?? '—'}</td>
                <td>{r.gold ? <><Stat m={r.gold.accuracy} format={(x) => pct(x, 1)} /> <span className="muted small">of {r.gold.answered}</span></> : '—'}</td>
                <td>{r.gold ? <Stat m={r.gold.liveAccuracy} format={(x) => pct(x, 1)} /> : '—'}</td>
                <td>{r.ds ? <>{pct(r.ds.accuracy, 1)} <span className="muted small">from {r.ds.answers} answers</span></> : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </section>
  );
}
