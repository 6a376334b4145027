// The dashboard's panel for reply workflows: what the bot settled alone, what went to people and
// why, how fast people answered, how customers rated it, and how much agents changed the drafts.
import { query } from './api.ts';
import { useGet } from './useGet.ts';
import { pct } from './ItemView.tsx';
// The server's own shapes (a pure core module, no Node types), so the two cannot drift apart.
import type { ChatMetrics as ChatMetricsData, Ratings } from '../core/chatMetrics.ts';


function secs(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '—';
  return s < 90 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`;
}
const thumbs = (r: Ratings) => `👍 ${r.up} · 👎 ${r.down}${r.upRate !== null ? ` (${pct(r.upRate)} up)` : ''}`;

export function ChatMetricsPanel({ workflow, since }: { workflow: string; since: string }) {
  const { data, error } = useGet<ChatMetricsData>(`/v1/workflows/${encodeURIComponent(workflow)}/chat-metrics${query({ since })}`, { everyMs: 15_000, keepWhileLoading: true });
  if (error) return <p className="notice error" role="alert">{error}</p>;
  if (!data) return null;
  const d = data.drafts;
  return (
    <section className="card chat-metrics" aria-label="Conversations">
      <h2>Conversations</h2>
      <div className="tiles">
        <div className="tile"><div className="tile-label">Conversations</div><div className="tile-value">{data.conversations}</div></div>
        <div className="tile"><div className="tile-label">Resolved by the bot alone</div><div className="tile-value" data-testid="auto-resolution">{pct(data.automaticResolution.rate)}</div><div className="tile-note">{data.automaticResolution.count} conversations</div></div>
        <div className="tile"><div className="tile-label">Handed to a person</div><div className="tile-value">{pct(data.handoff.rate)}</div><div className="tile-note">{data.handoff.count} conversations</div></div>
        <div className="tile"><div className="tile-label">First human response</div><div className="tile-value">{secs(data.timeToFirstHuman.medianSeconds)}</div><div className="tile-note">median · p90 {secs(data.timeToFirstHuman.p90Seconds)}</div></div>
        <div className="tile"><div className="tile-label">Resolution time</div><div className="tile-value">{secs(data.resolution.medianSeconds)}</div><div className="tile-note">median of {data.resolution.count} closed</div></div>
        <div className="tile"><div className="tile-label">Drafts accepted</div><div className="tile-value">{pct(d.acceptedRate)}</div><div className="tile-note">sent {d.sent} · edited {d.edited} · rewritten {d.rewritten}</div></div>
      </div>
      <div className="cols">
        <div>
          <h3>Why conversations went to a person</h3>
          <ul>{data.handoff.reasons.map((r) => <li key={r.reason}>{r.reason}: {r.conversations}</li>)}{data.handoff.reasons.length === 0 && <li className="muted">none yet</li>}</ul>
          <h3>Ratings</h3>
          <ul>
            <li>Bot only: {thumbs(data.ratings.byRoute.bot)}</li>
            <li>With a person: {thumbs(data.ratings.byRoute.human)}</li>
            {data.ratings.byIntent.map((r) => <li key={r.intent}>{r.intent}: {thumbs(r)}</li>)}
          </ul>
        </div>
        <div>
          <h3>Draft acceptance per intent</h3>
          <table className="small">
            <thead><tr><th>Intent</th><th>Sent</th><th>Edited</th><th>Rewritten</th><th>No draft</th><th>Mean edit rate</th></tr></thead>
            <tbody>
              {d.byIntent.map((r) => (
                <tr key={r.intent}><td>{r.intent}</td><td>{r.sent}</td><td>{r.edited}</td><td>{r.rewritten}</td><td>{r.written}</td><td>{pct(r.meanEditRate)}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </section>
  );
}
