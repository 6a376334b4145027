// People: who reviews what, with their throughput and agreement with final decisions; admins add people.
import { useEffect, useState, type FormEvent } from 'react';
import { get, message, post, type Me } from './api.ts';
import { pct } from './ItemView.tsx';

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
