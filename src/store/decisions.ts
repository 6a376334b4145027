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
 * The steps every write of decisions over a set takes, as CTEs: `latest`, each item's newest
 * decision (the new one is its version + 1 and supersedes it), and `decided`, the items marked
 * decided (id, workflow, text). `rows` names a relation with an `item_id` column.
 */
export const decidingSteps = (rows: string) => `latest AS (
       SELECT DISTINCT ON (item_id) item_id, id, version FROM decisions
       WHERE item_id IN (SELECT item_id FROM ${rows}) ORDER BY item_id, version DESC
     ), decided AS (
       UPDATE items SET status = 'decided', decided_at = coalesce(decided_at, now()) FROM ${rows} WHERE items.id = ${rows}.item_id
       RETURNING items.id, items.workflow, items.text
     )`;

/**
 * Appends the item's next decision version, marks the item decided and wakes the clients waiting
 * for it (at commit), in one statement, with its event and example when asked (an answer's hot
 * path); the caller holds the item's lock.
 */
export async function appendDecision(db: Queryable, d: NewDecision): Promise<DecisionRow> {
  const row = (await appendDecisions(db, [d]))[0];
  if (!row) throw new Error('decision insert returned no row');
  return row;
}

/**
 * appendDecision for several items in one statement, in the order given. Two decisions on one
 * item in the same call would take the same version and fail on the key.
 */
export async function appendDecisions(db: Queryable, ds: readonly NewDecision[]): Promise<DecisionRow[]> {
  const col = <T>(f: (d: NewDecision) => T) => ds.map(f);
  return db.query<DecisionRow>(
    `WITH input AS (
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::text[], $5::text[], $6::uuid[], $7::boolean[], $8::text[], $9::text[], $10::text[])
         WITH ORDINALITY AS x(item_id, source, outcome, actor, reason, id, event, example_workflow, example_text, example_label, ord)
     ), ${decidingSteps('input')}, inserted AS (
       INSERT INTO decisions (id, item_id, version, source, outcome, actor, reason, supersedes)
       SELECT x.id, x.item_id, coalesce(l.version, 0) + 1, x.source, x.outcome, x.actor, x.reason, l.id
       FROM input x LEFT JOIN latest l ON l.item_id = x.item_id
       RETURNING *
     ), event AS (
       INSERT INTO events (type, workflow, item_id, payload)
       SELECT CASE WHEN i.supersedes IS NULL THEN 'decision.made' ELSE 'decision.corrected' END, d.workflow, i.item_id,
              jsonb_build_object('version', i.version, 'source', i.source, 'outcome', i.outcome, 'supersedes', i.supersedes)
       FROM inserted i JOIN input x ON x.id = i.id JOIN decided d ON d.id = i.item_id WHERE x.event ORDER BY x.ord
     ), example AS (
       ${upsertDecisionExampleFrom('(SELECT example_workflow AS workflow, item_id, example_text AS text, example_label AS label FROM input WHERE example_label IS NOT NULL) AS e')}
     )
     SELECT ${columns} FROM (
       SELECT i.*, x.ord, pg_notify('${decisionChannel}', i.item_id::text) AS notified FROM inserted i JOIN input x ON x.id = i.id
     ) r ORDER BY ord`,
    [
      col((d) => d.itemId), col((d) => d.source), col((d) => JSON.stringify(d.outcome)), col((d) => d.actor), col((d) => d.reason), col(() => newId()),
      col((d) => d.event ?? false), col((d) => d.example?.workflow ?? null), col((d) => d.example?.text ?? null), col((d) => d.example?.label ?? null),
    ],
    'appendDecisions',
  );
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
