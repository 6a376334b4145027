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

export interface NewDecision {
  itemId: string;
  source: DecisionSource;
  outcome: unknown;
  actor: string;
  reason: string;
  /**
   * Also write the `decision.made` (or `decision.corrected`) event with the version, source,
   * outcome and what it supersedes. A caller whose event says more (a lead's correction) writes its own.
   */
  event?: boolean;
  /** Also write the item's labelled example for the model. */
  example?: Omit<DecisionExample, 'itemId'> | null;
}

/**
 * The steps every decision write takes (appendDecision, store/reviewSets.ts), as CTEs: `latest`, each item's newest
 * decision (the new one is its version + 1 and supersedes it), and `decided`, the items marked
 * decided (id, workflow, text, and the columns of `rows` named in `alsoReturn`). `rows` names a
 * relation with an `item_id` column.
 */
export const decidingSteps = (rows: string, alsoReturn: readonly string[] = []) => `latest AS (
       SELECT DISTINCT ON (item_id) item_id, id, version FROM decisions
       WHERE item_id IN (SELECT item_id FROM ${rows}) ORDER BY item_id, version DESC
     ), decided AS (
       UPDATE items SET status = 'decided', decided_at = coalesce(decided_at, now()) FROM ${rows} WHERE items.id = ${rows}.item_id
       RETURNING ${['items.id', 'items.workflow', 'items.text', ...alsoReturn].join(', ')}
     )`;

/** A new decision row `d`'s `decision.made` (or `decision.corrected`) event, as SQL for its type and payload (here and in store/reviewSets.ts). */
export const decisionEventSql = (d: string) => ({
  type: `CASE WHEN ${d}.supersedes IS NULL THEN 'decision.made' ELSE 'decision.corrected' END`,
  payload: `jsonb_build_object('version', ${d}.version, 'source', ${d}.source, 'outcome', ${d}.outcome, 'supersedes', ${d}.supersedes)`,
});

/**
 * Appends the item's next decision version, marks the item decided and wakes the clients waiting
 * for it (at commit), in one statement, with its event and example when asked (an answer's hot
 * path); the caller holds the item's lock.
 */
export async function appendDecision(db: Queryable, d: NewDecision): Promise<DecisionRow> {
  const rows = await db.query<DecisionRow>(
    `WITH input AS (
       SELECT $1::uuid AS item_id, $2::text AS source, $3::jsonb AS outcome, $4::text AS actor, $5::text AS reason, $6::uuid AS id,
              $8::text AS example_workflow, $9::text AS example_text, $10::text AS example_label
     ), ${decidingSteps('input')}, inserted AS (
       INSERT INTO decisions (id, item_id, version, source, outcome, actor, reason, supersedes)
       SELECT x.id, x.item_id, coalesce(l.version, 0) + 1, x.source, x.outcome, x.actor, x.reason, l.id
       FROM input x LEFT JOIN latest l ON l.item_id = x.item_id
       RETURNING *
     ), event AS (
       INSERT INTO events (type, workflow, item_id, payload)
       SELECT ${decisionEventSql('i').type}, d.workflow, i.item_id, ${decisionEventSql('i').payload}
       FROM inserted i JOIN decided d ON d.id = i.item_id WHERE $7::boolean
     ), example AS (
       ${upsertDecisionExampleFrom('(SELECT example_workflow AS workflow, item_id, example_text AS text, example_label AS label FROM input WHERE example_label IS NOT NULL) AS e')}
     )
     SELECT ${columns}, pg_notify('${decisionChannel}', item_id::text) AS notified FROM inserted`,
    [
      d.itemId, d.source, JSON.stringify(d.outcome), d.actor, d.reason, newId(),
      d.event ?? false, d.example?.workflow ?? null, d.example?.text ?? null, d.example?.label ?? null,
    ],
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
