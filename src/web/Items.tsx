// Item search, one item's full audit trail, and a lead's correction (a new decision version).
import { useEffect, useState, type FormEvent } from 'react';
import { get, message, post, query, type Me } from './api.ts';
import { Link } from './App.tsx';
import { Fields, Highlighted, outcomeText, pct } from './ItemView.tsx';
import type { Prediction, Route, Workflow } from './types.ts';

interface Hit {
  id: string;
  workflow: string;
  text: string | null;
  status: string;
  route: string;
  decision: unknown;
  decisionSource: string | null;
  createdAt: string;
}

interface Trail {
  id: string;
  workflow: string;
  status: string;
  input: { text: string | null; fields: Record<string, unknown>; metadata: Record<string, unknown>; masked: boolean };
  prediction: Prediction | null;
  suggestionHidden?: boolean;
  route: Route;
  decision: { version: number; source: string; outcome: unknown; actor: string; reason: string } | null;
  tasks: Array<{ id: string; kind: string; queue: string; status: string; dueAt: string; createdAt: string }>;
  answers: Array<{ id: string; taskId: string; reviewerId: string; outcome: unknown; timeSpentMs: number | null; createdAt: string }>;
  decisions: Array<{ id: string; version: number; source: string; outcome: unknown; actor: string; reason: string; supersedes: string | null; createdAt: string }>;
  events: Array<{ id: string; type: string; payload: Record<string, unknown>; createdAt: string }>;
  createdAt: string;
}

export function Items({ me, itemId }: { me: Me; itemId: string | null }) {
  return itemId ? <ItemTrail me={me} id={itemId} /> : <Search />;
}

function Search() {
  const [q, setQ] = useState('');
  const [status, setStatus] = useState('');
  const [hits, setHits] = useState<Hit[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const search = async (e?: FormEvent) => {
    e?.preventDefault();
    try {
      setHits((await get<{ items: Hit[] }>(`/v1/items${query({ q: q.trim(), status, limit: 50 })}`)).items);
      setError(null);
    } catch (err) {
      setError(message(err));
    }
  };
  useEffect(() => {
    void search();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return (
    <div className="items">
      <h1>Items</h1>
      <form className="toolbar" onSubmit={(e) => void search(e)} role="search">
        <label>
          <span className="sr-only">Search</span>
          <input type="search" placeholder="Item id or words in the text" value={q} onChange={(e) => setQ(e.target.value)} />
        </label>
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">any</option>
            <option value="pending">pending</option>
            <option value="decided">decided</option>
          </select>
        </label>
        <button type="submit" className="primary">Search</button>
      </form>
      {error && <p className="notice error" role="alert">{error}</p>}
      {hits && (
        <table className="list">
          <thead>
            <tr>
              <th scope="col">Created</th>
              <th scope="col">Workflow</th>
              <th scope="col">Text</th>
              <th scope="col">Route</th>
              <th scope="col">Decision</th>
            </tr>
          </thead>
          <tbody>
            {hits.map((h) => (
              <tr key={h.id}>
                <td>{new Date(h.createdAt).toLocaleString()}</td>
                <td>{h.workflow}</td>
                <td className="clip">
                  <Link to={`/items/${h.id}`}>{h.text ?? '(no text)'}</Link>
                </td>
                <td>{h.route}</td>
                <td>{h.decision ? `${outcomeText(h.decision)} (${h.decisionSource})` : 'pending'}</td>
              </tr>
            ))}
            {hits.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">No items match.</td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </div>
  );
}

function ItemTrail({ me, id }: { me: Me; id: string }) {
  const [trail, setTrail] = useState<Trail | null>(null);
  const [wf, setWf] = useState<Workflow | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [revealed, setRevealed] = useState<Trail['input'] | null>(null);
  const lead = me.role !== 'reviewer';
  const load = async () => {
    try {
      const t = await get<Trail>(`/v1/items/${encodeURIComponent(id)}`);
      setTrail(t);
      setWf(await get<Workflow>(`/v1/workflows/${encodeURIComponent(t.workflow)}`));
    } catch (err) {
      setError(message(err));
    }
  };
  useEffect(() => {
    void load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id]);
  if (error) return <p className="notice error" role="alert">{error}</p>;
  if (!trail) return <p aria-busy="true" className="muted">Loading…</p>;
  const input = revealed ?? trail.input;
  const reveal = async () => {
    try {
      setRevealed(await post<Trail['input']>(`/v1/items/${id}/reveal`, { reason: 'revealed on the item page' }));
      void load();
    } catch (err) {
      setError(message(err));
    }
  };
  // One timeline of everything that happened, oldest first.
  const timeline = [
    ...trail.events.map((e) => ({ at: e.createdAt, what: e.type, detail: eventDetail(e.payload) })),
    ...trail.answers.map((a) => ({ at: a.createdAt, what: 'answer', detail: `${outcomeText(a.outcome)}${a.timeSpentMs !== null ? ` in ${(a.timeSpentMs / 1000).toFixed(1)} s` : ''}` })),
  ].sort((a, b) => a.at.localeCompare(b.at));
  return (
    <div className="trail">
      <p><Link to="/items">← Items</Link></p>
      <h1>Item <code>{trail.id}</code></h1>
      <p className="muted">{trail.workflow} · {trail.status} · created {new Date(trail.createdAt).toLocaleString()}</p>
      <div className="card">
        <div className="item-text" data-testid="trail-text">
          {input.text === null ? <span className="muted">(no text)</span> : <Highlighted text={input.text} terms={trail.prediction?.explanation ?? []} />}
        </div>
        {trail.input.masked && !revealed && (
          <p className="muted small">
            Personal data is masked.{' '}
            {lead && <button type="button" className="link" onClick={() => void reveal()}>Reveal (recorded in the audit trail)</button>}
          </p>
        )}
        <div className="cols">
          <Fields title="Fields" values={input.fields} />
          <Fields title="Customer context" values={input.metadata} />
        </div>
        <p>
          Machine: {trail.suggestionHidden ? 'hidden until you answer (blind mode)' : trail.prediction?.label ? `${trail.prediction.label} (${pct(trail.prediction.confidence)})` : (trail.prediction?.error ?? 'no prediction')} · route{' '}
          <strong>{trail.route.route}</strong>
          {trail.route.audit ? ' (audited)' : ''}
        </p>
      </div>
      <h2>Decisions</h2>
      <ol className="decisions" data-testid="decisions">
        {trail.decisions.map((d) => (
          <li key={d.id}>
            v{d.version} <strong>{outcomeText(d.outcome)}</strong> by {d.source} ({d.actor}) — {d.reason}
            {d.supersedes ? ' · supersedes the previous version' : ''} · {new Date(d.createdAt).toLocaleString()}
          </li>
        ))}
        {trail.decisions.length === 0 && <li className="muted">No decision yet.</li>}
      </ol>
      {lead && wf && <Correct wf={wf} itemId={trail.id} onDone={() => void load()} />}
      <h2>Audit trail</h2>
      <table className="list" data-testid="audit-trail">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">What</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {timeline.map((e, i) => (
            <tr key={i}>
              <td>{new Date(e.at).toLocaleTimeString()}</td>
              <td>{e.what}</td>
              <td>{e.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function eventDetail(p: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof p.route === 'string') parts.push(`route ${p.route}`);
  if (p.outcome) parts.push(outcomeText(p.outcome));
  if (typeof p.source === 'string') parts.push(`by ${p.source}`);
  if (typeof p.kind === 'string') parts.push(String(p.kind));
  if (typeof p.actor === 'string') parts.push(`by ${p.actor}`);
  if (typeof p.reason === 'string') parts.push(`“${p.reason}”`);
  return parts.join(' · ');
}

function Correct({ wf, itemId, onDone }: { wf: Workflow; itemId: string; onDone: () => void }) {
  const choices = wf.answerType === 'label' ? wf.labels : wf.answerType === 'approve' ? ['approve', 'reject'] : [];
  const [choice, setChoice] = useState(choices[0] ?? '');
  const [text, setText] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const outcome = wf.answerType === 'label' ? { label: choice } : wf.answerType === 'approve' ? { verdict: choice } : { text };
    try {
      await post(`/v1/items/${itemId}/decisions`, { ...outcome, reason });
      setReason('');
      setError(null);
      onDone();
    } catch (err) {
      setError(message(err));
    }
  };
  return (
    <form className="card correct" onSubmit={(e) => void submit(e)} aria-labelledby="correct-title">
      <h2 id="correct-title">Correct the decision</h2>
      {choices.length > 0 ? (
        <label>
          Outcome{' '}
          <select value={choice} onChange={(e) => setChoice(e.target.value)}>
            {choices.map((c) => (
              <option key={c} value={c}>{c}</option>
            ))}
          </select>
        </label>
      ) : (
        <label className="block">
          Reply
          <textarea rows={3} value={text} onChange={(e) => setText(e.target.value)} />
        </label>
      )}
      <label>
        Reason <input required value={reason} onChange={(e) => setReason(e.target.value)} />
      </label>
      <button type="submit" className="primary">Correct</button>
      <p role="alert" className="error">{error}</p>
    </form>
  );
}
