// Decisions are appended, never changed (a trigger refuses UPDATE and DELETE): a correction is a
// new version that names the one it supersedes.
import type { Queryable } from './db.ts';
import { decisionChannel } from './events.ts';
import { newId } from './ids.ts';
import { upsertDecisionExampleFrom, type DecisionExample } from './examples.ts';

export type DecisionSource = 'machine' | 'human' | 'consensus' | 'lead';

export interface DecisionRow {
  id: string;
  item_id: string;
  version: number;
  source: DecisionSource;
  outcome: unknown;
  actor: string;
  reason: string;
  supersedes: string | null;
  created_at: Date;
}

const columns = `id::text AS id, item_id::text AS item_id, version, source, outcome, actor, reason,
  supersedes::text AS supersedes, created_at`;

/**
 * Appends the item's next decision version, marks the item decided and wakes the clients waiting
 * for it (at commit), in one statement; the caller holds the item's lock.
 */
/**
 * In the same statement (an answer's hot path): with `event`, the `decision.made` (or
 * `decision.corrected`) event with the version, source, outcome and what it supersedes (a caller
 * whose event says more, a lead's correction, writes its own); with `example`, the item's
 * labelled example for the model.
 */
export async function appendDecision(
  db: Queryable,
  d: { itemId: string; source: DecisionSource; outcome: unknown; actor: string; reason: string; event?: boolean; example?: Omit<DecisionExample, 'itemId'> | null },
): Promise<DecisionRow> {
  const example = d.example ?? null;
  const rows = await db.query<DecisionRow>(
    `WITH latest AS (
       SELECT id, version FROM decisions WHERE item_id = $1::uuid ORDER BY version DESC LIMIT 1
     ), decided AS (
       UPDATE items SET status = 'decided', decided_at = coalesce(decided_at, now()) WHERE id = $1::uuid RETURNING workflow
     ), inserted AS (
       INSERT INTO decisions (id, item_id, version, source, outcome, actor, reason, supersedes)
       SELECT $6::uuid, $1::uuid, coalesce((SELECT version FROM latest), 0) + 1, $2::text, $3::jsonb, $4::text, $5::text,
              (SELECT id FROM latest)
       RETURNING *
     ), event AS (
       INSERT INTO events (type, workflow, item_id, payload)
       SELECT CASE WHEN i.supersedes IS NULL THEN 'decision.made' ELSE 'decision.corrected' END, d.workflow, i.item_id,
              jsonb_build_object('version', i.version, 'source', i.source, 'outcome', i.outcome, 'supersedes', i.supersedes)
       FROM inserted i, decided d WHERE $7::boolean
     ), example AS (
       ${upsertDecisionExampleFrom('(SELECT $8::text AS workflow, $1::uuid AS item_id, $9::text AS text, $10::text AS label WHERE $10::text IS NOT NULL) AS e')}
     )
     SELECT ${columns}, pg_notify('${decisionChannel}', item_id::text) AS notified FROM inserted`,
    [d.itemId, d.source, JSON.stringify(d.outcome), d.actor, d.reason, newId(), d.event ?? false, example?.workflow ?? null, example?.text ?? null, example?.label ?? null],
    'appendDecision',
  );
  const row = rows[0];
  if (!row) throw new Error('decision insert returned no row');
  return row;
}

export async function listDecisions(db: Queryable, itemId: string): Promise<DecisionRow[]> {
  return db.query<DecisionRow>(`SELECT ${columns} FROM decisions WHERE item_id = $1::uuid ORDER BY version`, [itemId]);
}

export async function latestDecision(db: Queryable, itemId: string): Promise<DecisionRow | null> {
  const rows = await db.query<DecisionRow>(
    `SELECT ${columns} FROM decisions WHERE item_id = $1::uuid ORDER BY version DESC LIMIT 1`,
    [itemId],
    'latestDecision',
  );
  return rows[0] ?? null;
}

/** Decisions people made (not the machine) on the workflow's items since `after`. */
export async function countHumanDecisionsSince(db: Queryable, workflow: string, after: Date): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM decisions d JOIN items i ON i.id = d.item_id
     WHERE i.workflow = $1::text AND d.source <> 'machine' AND d.created_at > $2::timestamptz`,
    [workflow, after.toISOString()],
  );
  return rows[0]?.n ?? 0;
}
