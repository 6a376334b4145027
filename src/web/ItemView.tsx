// How an item is shown to a person: its text with the machine's evidence marked, its fields and
// metadata. Everything is rendered as React text nodes: an item's markup is shown, never run.
import { useEffect, useState } from 'react';

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function Highlighted({ text, terms }: { text: string; terms: string[] }) {
  const clean = [...new Set(terms.map((t) => t.trim()).filter((t) => t.length >= 2))].sort((a, b) => b.length - a.length).slice(0, 20);
  if (clean.length === 0) return <>{text}</>;
  const parts = text.split(new RegExp(`(${clean.map(escapeRegExp).join('|')})`, 'gi'));
  return <>{parts.map((p, i) => (i % 2 === 1 ? <mark key={i}>{p}</mark> : p))}</>;
}

function show(v: unknown): string {
  if (v === null || v === undefined) return '—';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** With `always`, an empty set still takes its place (says "none"), so the layout does not move between items. */
export function Fields({ title, values, always = false }: { title: string; values: Record<string, unknown>; always?: boolean }) {
  const entries = Object.entries(values);
  if (entries.length === 0 && !always) return null;
  return (
    <section className="fields" aria-label={title}>
      <h3>{title}</h3>
      {entries.length === 0 && <p className="muted small none">none</p>}
      <dl>
        {entries.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{show(v)}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

/** Time left until `dueAt`, ticking; overdue shows how long ago. */
export function Countdown({ dueAt }: { dueAt: string }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const left = Math.round((Date.parse(dueAt) - now) / 1000);
  const abs = Math.abs(left);
  const h = Math.floor(abs / 3600);
  const m = Math.floor((abs % 3600) / 60);
  const s = abs % 60;
  const text = h > 0 ? `${h}h ${String(m).padStart(2, '0')}m` : `${m}m ${String(s).padStart(2, '0')}s`;
  const cls = left < 0 ? 'sla overdue' : left < 300 ? 'sla soon' : 'sla';
  return (
    <span className={cls} title={`due ${new Date(dueAt).toLocaleString()}`}>
      {left < 0 ? `overdue ${text}` : `SLA ${text}`}
    </span>
  );
}

export function pct(x: number | null | undefined, digits = 0): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(digits)} %`;
}

export function outcomeText(o: unknown): string {
  if (!o || typeof o !== 'object') return '—';
  const r = o as { type?: string; label?: string; verdict?: string; text?: string };
  if (r.type === 'label') return r.label ?? '—';
  if (r.type === 'approve') return r.verdict ?? '—';
  if (r.type === 'text' || r.type === 'reply') return `reply: ${(r.text ?? '').slice(0, 80)}`;
  return JSON.stringify(o);
}
