// Labelled examples: what the model learns from. A person's decision on an item writes (or, on a
// correction, rewrites) that item's example in the decision's own transaction.
import type { Queryable } from './db.ts';

export interface ExampleRow {
  id: string;
  text: string;
  label: string;
}

export interface DecisionExample {
  workflow: string;
  itemId: string;
  text: string;
  label: string;
}

/**
 * The statement that writes a decision's example from `rows` (columns workflow, item_id, text,
 * label): on its own below, or inside the decision's statement (store/decisions.ts).
 */
export const upsertDecisionExampleFrom = (rows: string) =>
  `INSERT INTO examples (workflow, item_id, text, label, source) SELECT workflow, item_id, text, label, 'decision' FROM ${rows}
   ON CONFLICT (item_id) DO UPDATE SET label = EXCLUDED.label, updated_at = now(), id = nextval('examples_id_seq')`;

export async function upsertDecisionExample(db: Queryable, e: DecisionExample): Promise<void> {
  await db.query(
    upsertDecisionExampleFrom('(VALUES ($1::text, $2::uuid, $3::text, $4::text)) AS e(workflow, item_id, text, label)'),
    [e.workflow, e.itemId, e.text, e.label],
    'upsertDecisionExample',
  );
}

/** Imported history; returns how many rows went in (a row already there with the same label is skipped). */
export async function insertImportedExamples(db: Queryable, workflow: string, rows: ReadonlyArray<{ text: string; label: string }>): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await db.query(
    `INSERT INTO examples (workflow, text, label, source)
     SELECT DISTINCT $1::text, e->>'text', e->>'label', 'import' FROM jsonb_array_elements($2::jsonb) AS e
     WHERE NOT EXISTS (SELECT 1 FROM examples x
                       WHERE x.workflow = $1::text AND md5(x.text) = md5(e->>'text') AND x.text = e->>'text' AND x.label = e->>'label')
     RETURNING id`,
    [workflow, JSON.stringify(rows)],
  );
  return inserted.length;
}

export async function listExamples(db: Queryable, workflow: string): Promise<ExampleRow[]> {
  return db.query<ExampleRow>('SELECT id::text AS id, text, label FROM examples WHERE workflow = $1::text ORDER BY examples.id', [workflow]);
}

/** Examples added or changed since `afterId` (ids are renewed on change), and the newest id. */
export async function countExamplesSince(db: Queryable, workflow: string, afterId: string): Promise<{ count: number; newest: string }> {
  const rows = await db.query<{ count: number; newest: string }>(
    `SELECT count(*) FILTER (WHERE id > $2::bigint)::int AS count, coalesce(max(id), 0)::text AS newest
     FROM examples WHERE workflow = $1::text`,
    [workflow, afterId],
  );
  return rows[0] ?? { count: 0, newest: '0' };
}
