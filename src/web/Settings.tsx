// Workflow settings for leads: target accuracy, threshold (with a preview of what it would do),
// rules, audit rate, consensus, blind mode, SLA and costs. Saving changes the workflow (admins).
import { useEffect, useState, type FormEvent } from 'react';
import { get, message, put, query, type Me } from './api.ts';
import { pct } from './ItemView.tsx';
import type { Workflow } from './types.ts';
import { WorkflowPicker } from './WorkflowPicker.tsx';

interface Preview {
  threshold: number;
  items: number;
  known: number;
  humanShare: number;
  estimatedAccuracy: { estimate: number; lower: number; upper: number };
}

type Draft = {
  targetAccuracy: string;
  threshold: number;
  auditRate: string;
  answers: string;
  rule: 'majority' | 'unanimous';
  blindMode: boolean;
  slaMinutes: string;
  rules: string;
  reviewerPerHour: string;
  errorCost: string;
};

function draftOf(w: Workflow): Draft {
  return {
    targetAccuracy: w.targetAccuracy !== undefined ? String(w.targetAccuracy) : '',
    threshold: w.policy.threshold,
    auditRate: String(w.policy.auditRate),
    answers: String(w.consensus.answers),
    rule: w.consensus.rule,
    blindMode: w.blindMode,
    slaMinutes: String(Math.round(w.slaSeconds / 60)),
    rules: JSON.stringify(w.policy.rules, null, 2),
    reviewerPerHour: w.costs ? String(w.costs.reviewerPerHour) : '',
    errorCost: w.costs ? String(w.costs.errorCost) : '',
  };
}

/** The workflow's spec with the draft's settings; everything else as it is. */
function specOf(w: Workflow, d: Draft): Record<string, unknown> {
  const { version: _v, createdAt: _c, updatedAt: _u, ...spec } = w;
  const out: Record<string, unknown> = {
    ...spec,
    policy: { ...w.policy, threshold: d.threshold, auditRate: Number(d.auditRate), rules: JSON.parse(d.rules) as unknown },
    consensus: { answers: Number(d.answers), rule: d.rule },
    blindMode: d.blindMode,
    slaSeconds: Math.max(1, Math.round(Number(d.slaMinutes) * 60)),
  };
  if (d.targetAccuracy.trim()) out.targetAccuracy = Number(d.targetAccuracy);
  else delete out.targetAccuracy;
  if (d.reviewerPerHour.trim() || d.errorCost.trim()) {
    out.costs = { reviewerPerHour: Number(d.reviewerPerHour || 0), errorCost: Number(d.errorCost || 0), currency: w.costs?.currency ?? 'USD' };
  } else delete out.costs;
  return out;
}

export function Settings({ me }: { me: Me }) {
  const [workflows, setWorkflows] = useState<Workflow[]>([]);
  const [name, setName] = useState('');
  const [draft, setDraft] = useState<Draft | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [status, setStatus] = useState<{ kind: 'error' | 'info'; text: string } | null>(null);
  const wf = workflows.find((w) => w.name === name);
  const admin = me.role === 'admin';

  useEffect(() => {
    get<{ workflows: Workflow[] }>('/v1/workflows').then((r) => {
      setWorkflows(r.workflows);
      setName((n) => n || r.workflows[0]?.name || '');
    }).catch((e) => setStatus({ kind: 'error', text: message(e) }));
  }, []);
  useEffect(() => {
    if (wf) setDraft(draftOf(wf));
  }, [wf]);

  const threshold = draft?.threshold;
  useEffect(() => {
    if (!name || threshold === undefined) return;
    let stale = false;
    const t = setTimeout(() => {
      get<Preview>(`/v1/workflows/${encodeURIComponent(name)}/preview${query({ threshold })}`)
        .then((p) => !stale && setPreview(p))
        .catch(() => !stale && setPreview(null));
    }, 120);
    return () => {
      stale = true;
      clearTimeout(t);
    };
  }, [name, threshold]);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!wf || !draft) return;
    try {
      const saved = await put<Workflow>(`/v1/workflows/${encodeURIComponent(wf.name)}`, specOf(wf, draft));
      setWorkflows((ws) => ws.map((w) => (w.name === saved.name ? saved : w)));
      setStatus({ kind: 'info', text: `Saved: ${saved.name} is at version ${saved.version}.` });
    } catch (err) {
      setStatus({ kind: 'error', text: message(err) });
    }
  };

  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setDraft((d) => (d ? { ...d, [k]: v } : d));

  return (
    <div className="settings">
      <div className="toolbar">
        <h1>Settings</h1>
        <WorkflowPicker names={workflows.map((w) => w.name)} value={name} onChange={setName} />
      </div>
      {wf && draft && (
        <form className="card form" onSubmit={(e) => void save(e)}>
          <fieldset>
            <legend>Machine and people</legend>
            <label>
              Target accuracy (blank: none; with one, Tandem tunes the thresholds itself)
              <input inputMode="decimal" value={draft.targetAccuracy} onChange={(e) => set('targetAccuracy', e.target.value)} placeholder="e.g. 0.97" />
            </label>
            <label>
              Confidence threshold: <strong>{draft.threshold.toFixed(2)}</strong>
              <input type="range" min={0} max={1} step={0.01} value={draft.threshold} onChange={(e) => set('threshold', Number(e.target.value))} aria-describedby="preview" />
            </label>
            <p id="preview" className="preview" aria-live="polite" data-testid="preview">
              {preview
                ? `At ${preview.threshold.toFixed(2)} about ${pct(preview.humanShare)} go to people, estimated accuracy ${pct(preview.estimatedAccuracy.estimate, 1)} (95 % bounds ${pct(preview.estimatedAccuracy.lower, 1)}–${pct(preview.estimatedAccuracy.upper, 1)}; ${preview.items} items of evidence, ${preview.known} with known answers). Rules send more to people.`
                : 'Working out the preview…'}
            </p>
            {draft.targetAccuracy.trim() && <p className="muted small">With a target accuracy, the tuned thresholds replace this one.</p>}
            <label>
              Audit rate (share of machine decisions also checked by a person)
              <input inputMode="decimal" value={draft.auditRate} onChange={(e) => set('auditRate', e.target.value)} />
            </label>
            <label>
              Answers per item (consensus)
              <input inputMode="numeric" value={draft.answers} onChange={(e) => set('answers', e.target.value)} />
            </label>
            <label>
              Consensus rule{' '}
              <select value={draft.rule} onChange={(e) => set('rule', e.target.value as Draft['rule'])}>
                <option value="majority">majority</option>
                <option value="unanimous">unanimous</option>
              </select>
            </label>
            <label className="check">
              <input type="checkbox" checked={draft.blindMode} onChange={(e) => set('blindMode', e.target.checked)} /> Blind mode: reviewers see the machine's suggestion only after answering
            </label>
            <label>
              SLA (minutes to settle a task)
              <input inputMode="numeric" value={draft.slaMinutes} onChange={(e) => set('slaMinutes', e.target.value)} />
            </label>
          </fieldset>
          <fieldset>
            <legend>Rules (JSON list; see the README for the rule language)</legend>
            <textarea rows={8} value={draft.rules} onChange={(e) => set('rules', e.target.value)} aria-label="Rules" spellCheck={false} />
          </fieldset>
          <fieldset>
            <legend>Costs (for the dashboard)</legend>
            <label>
              Reviewer cost per hour
              <input inputMode="decimal" value={draft.reviewerPerHour} onChange={(e) => set('reviewerPerHour', e.target.value)} />
            </label>
            <label>
              Cost of one wrong decision
              <input inputMode="decimal" value={draft.errorCost} onChange={(e) => set('errorCost', e.target.value)} />
            </label>
          </fieldset>
          <div className="actions">
            <button type="submit" className="primary" disabled={!admin}>Save</button>
            {!admin && <span className="muted small">Only admins change workflows; the preview is yours to explore.</span>}
          </div>
          {status && <p className={`notice ${status.kind}`} role={status.kind === 'error' ? 'alert' : 'status'}>{status.text}</p>}
        </form>
      )}
    </div>
  );
}
