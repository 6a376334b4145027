// Threshold tunings for target-accuracy workflows, and the evidence they are made from.
import type { Queryable } from './db.ts';

export interface TuningRow {
  id: string;
  workflow: string;
  model_version: number | null;
  plan: unknown;
  audits_seen: number;
  reason: string;
  created_at: Date;
}

const columns = 'id::text AS id, workflow, model_version, plan, audits_seen, reason, created_at';

export async function insertTuning(db: Queryable, t: { workflow: string; modelVersion: number | null; plan: unknown; auditsSeen: number; reason: string }): Promise<TuningRow> {
  const rows = await db.query<TuningRow>(
    `INSERT INTO policy_tunings (workflow, model_version, plan, audits_seen, reason) VALUES ($1::text, $2::int, $3::jsonb, $4::int, $5::text)
     RETURNING ${columns}`,
    [t.workflow, t.modelVersion, JSON.stringify(t.plan), t.auditsSeen, t.reason],
  );
  const row = rows[0];
  if (!row) throw new Error('tuning insert returned no row');
  return row;
}

// The table's id, not the text `id` of the select list (which would sort "99" after "989").
export async function latestTuning(db: Queryable, workflow: string): Promise<TuningRow | null> {
  const rows = await db.query<TuningRow>(`SELECT ${columns} FROM policy_tunings WHERE workflow = $1::text ORDER BY policy_tunings.id DESC LIMIT 1`, [workflow], 'latestTuning');
  return rows[0] ?? null;
}

export interface ScoredOutcome {
  label: string;
  confidence: number;
  /** The right answer, when a person decided or audited the item; else null. */
  truth: string | null;
  audited: boolean;
  created_at: Date;
}

/**
 * The newest items a model version scored, with the truth where people supplied it: a person's
 * decision, or the answer on an audit of a machine decision.
 */
export async function recentScoredOutcomes(db: Queryable, workflow: string, model: string, limit: number): Promise<ScoredOutcome[]> {
  return db.query<ScoredOutcome>(
    `SELECT i.prediction->>'label' AS label, (i.prediction->>'confidence')::float8 AS confidence, i.created_at,
            coalesce(
              (SELECT coalesce(d.outcome->>'label', d.outcome->>'verdict') FROM decisions d
                WHERE d.item_id = i.id AND d.source <> 'machine' ORDER BY d.version DESC LIMIT 1),
              (SELECT coalesce(a.outcome->>'label', a.outcome->>'verdict') FROM answers a JOIN tasks t ON t.id = a.task_id
                WHERE a.item_id = i.id AND t.kind = 'audit' ORDER BY a.created_at LIMIT 1)) AS truth,
            EXISTS (SELECT 1 FROM tasks t WHERE t.item_id = i.id AND t.kind = 'audit' AND t.status = 'done') AS audited
     FROM items i
     WHERE i.workflow = $1::text AND i.prediction->>'model' = $2::text AND i.prediction->>'label' IS NOT NULL
     ORDER BY i.created_at DESC LIMIT $3::int`,
    [workflow, model, limit],
  );
}

/** Audits of automatic decisions answered since `after`: how many, and how many confirmed the machine. */
export async function auditOutcomesSince(db: Queryable, workflow: string, after: Date): Promise<{ total: number; correct: number }> {
  const rows = await db.query<{ total: number; correct: number }>(
    `SELECT count(*)::int AS total,
            count(*) FILTER (WHERE coalesce(a.outcome->>'label', a.outcome->>'verdict') = i.route->>'label')::int AS correct
     FROM answers a JOIN tasks t ON t.id = a.task_id JOIN items i ON i.id = a.item_id
     WHERE t.kind = 'audit' AND t.workflow = $1::text AND a.created_at > $2::timestamptz`,
    [workflow, after.toISOString()],
  );
  return rows[0] ?? { total: 0, correct: 0 };
}
