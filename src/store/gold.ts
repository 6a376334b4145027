// Gold items, the stage each reviewer has reached on a gated workflow, and the score of every
// answer on gold. Gold tasks themselves live in `tasks` (kind 'gold', see insertLeasedTask).
import type { Queryable } from './db.ts';

export type GoldSource = 'marked' | 'imported';
export type Stage = 'training' | 'qualifying' | 'qualified';
export type GoldStage = 'training' | 'qualifying' | 'live';

export interface GoldItemRow {
  item_id: string;
  workflow: string;
  outcome: unknown;
  note: string;
  source: GoldSource;
  created_by: string;
  created_at: Date;
  retired_at: Date | null;
  text: string | null;
}

const goldColumns = `g.item_id::text AS item_id, g.workflow, g.outcome, g.note, g.source, g.created_by, g.created_at, g.retired_at, i.text`;

/** Makes the item gold with this answer (again, if it was retired); the row as stored. */
export async function upsertGoldItem(
  db: Queryable,
  g: { itemId: string; workflow: string; outcome: unknown; note: string; source: GoldSource; createdBy: string },
): Promise<GoldItemRow> {
  const rows = await db.query<GoldItemRow>(
    `WITH up AS (
       INSERT INTO gold_items (item_id, workflow, outcome, note, source, created_by)
       VALUES ($1::uuid, $2::text, $3::jsonb, $4::text, $5::text, $6::text)
       ON CONFLICT (item_id) DO UPDATE SET outcome = EXCLUDED.outcome, note = EXCLUDED.note,
              created_by = EXCLUDED.created_by, retired_at = NULL
       RETURNING *
     )
     SELECT ${goldColumns} FROM up g JOIN items i ON i.id = g.item_id`,
    [g.itemId, g.workflow, JSON.stringify(g.outcome), g.note, g.source, g.createdBy],
  );
  const row = rows[0];
  if (!row) throw new Error('gold insert returned no row');
  return row;
}

export async function getGoldItem(db: Queryable, itemId: string): Promise<GoldItemRow | null> {
  const rows = await db.query<GoldItemRow>(`SELECT ${goldColumns} FROM gold_items g JOIN items i ON i.id = g.item_id WHERE g.item_id = $1::uuid`, [itemId]);
  return rows[0] ?? null;
}

export async function listGoldItems(db: Queryable, workflow: string, includeRetired: boolean): Promise<GoldItemRow[]> {
  return db.query<GoldItemRow>(
    `SELECT ${goldColumns} FROM gold_items g JOIN items i ON i.id = g.item_id
     WHERE g.workflow = $1::text AND ($2::boolean OR g.retired_at IS NULL) ORDER BY g.created_at, g.item_id`,
    [workflow, includeRetired],
  );
}

/** Stops serving the gold item; false when there is no such active gold item. */
export async function retireGoldItem(db: Queryable, workflow: string, itemId: string): Promise<boolean> {
  const rows = await db.query(
    `UPDATE gold_items SET retired_at = now() WHERE workflow = $1::text AND item_id = $2::uuid AND retired_at IS NULL RETURNING item_id`,
    [workflow, itemId],
  );
  return rows.length > 0;
}

/**
 * The active gold item this reviewer has answered least often (ties at random), leaving out any
 * they hold a lease on now; with `unseenOnly`, only items they have never answered in any way
 * (live gold must be new to them, or it measures memory). Null when there is none.
 */
export async function pickGoldItem(db: Queryable, workflow: string, reviewerId: string, unseenOnly: boolean): Promise<string | null> {
  const rows = await db.query<{ item_id: string }>(
    `SELECT g.item_id::text AS item_id
     FROM gold_items g LEFT JOIN answers a ON a.item_id = g.item_id AND a.reviewer_id = $2::uuid
     WHERE g.workflow = $1::text AND g.retired_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.item_id = g.item_id AND t.status = 'leased' AND t.lease_owner = $2::uuid)
     GROUP BY g.item_id
     HAVING NOT $3::boolean OR count(a.id) = 0
     ORDER BY count(a.id), random()
     LIMIT 1`,
    [workflow, reviewerId, unseenOnly],
  );
  return rows[0]?.item_id ?? null;
}

// --- stages ---------------------------------------------------------------------------------------

export interface StageRow {
  reviewer_id: string;
  workflow: string;
  stage: Stage;
  attempt: number;
  changed_at: Date;
  qualified_at: Date | null;
  demoted_at: Date | null;
}

const stageColumns = `reviewer_id::text AS reviewer_id, workflow, stage, attempt, changed_at, qualified_at, demoted_at`;

export async function listStages(db: Queryable, reviewerId: string, workflows: readonly string[]): Promise<StageRow[]> {
  return db.query<StageRow>(
    `SELECT ${stageColumns} FROM reviewer_stages WHERE reviewer_id = $1::uuid AND workflow = ANY($2::text[])`,
    [reviewerId, [...workflows]],
  );
}

export async function listWorkflowStages(db: Queryable, workflow: string): Promise<StageRow[]> {
  return db.query<StageRow>(`SELECT ${stageColumns} FROM reviewer_stages WHERE workflow = $1::text ORDER BY reviewer_id`, [workflow]);
}

/** The reviewer's stage, starting them at `initial` when they have none yet. */
export async function ensureStage(db: Queryable, reviewerId: string, workflow: string, initial: Stage): Promise<StageRow> {
  const rows = await db.query<StageRow>(
    `WITH ins AS (
       INSERT INTO reviewer_stages (reviewer_id, workflow, stage, qualified_at)
       VALUES ($1::uuid, $2::text, $3::text, CASE WHEN $3::text = 'qualified' THEN now() END)
       ON CONFLICT (reviewer_id, workflow) DO NOTHING
       RETURNING ${stageColumns}
     )
     SELECT * FROM ins
     UNION ALL
     SELECT ${stageColumns} FROM reviewer_stages WHERE reviewer_id = $1::uuid AND workflow = $2::text AND NOT EXISTS (SELECT 1 FROM ins)`,
    [reviewerId, workflow, initial],
  );
  const row = rows[0];
  if (!row) throw new Error('stage upsert returned no row');
  return row;
}

/** The stage row locked for the rest of the transaction: one gold answer at a time moves a reviewer. */
export async function lockStage(db: Queryable, reviewerId: string, workflow: string): Promise<StageRow | null> {
  const rows = await db.query<StageRow>(
    `SELECT ${stageColumns} FROM reviewer_stages WHERE reviewer_id = $1::uuid AND workflow = $2::text FOR UPDATE`,
    [reviewerId, workflow],
  );
  return rows[0] ?? null;
}

/** Moves the reviewer to `stage`; `newAttempt` starts a new training (after a failed test or a demotion). */
export async function setStage(
  db: Queryable,
  reviewerId: string,
  workflow: string,
  stage: Stage,
  how: { newAttempt?: boolean; demoted?: boolean } = {},
): Promise<StageRow> {
  const rows = await db.query<StageRow>(
    `UPDATE reviewer_stages SET stage = $3::text, changed_at = now(),
            attempt = attempt + CASE WHEN $4::boolean THEN 1 ELSE 0 END,
            qualified_at = CASE WHEN $3::text = 'qualified' THEN now() ELSE qualified_at END,
            demoted_at = CASE WHEN $5::boolean THEN now() ELSE demoted_at END
     WHERE reviewer_id = $1::uuid AND workflow = $2::text
     RETURNING ${stageColumns}`,
    [reviewerId, workflow, stage, how.newAttempt ?? false, how.demoted ?? false],
  );
  const row = rows[0];
  if (!row) throw new Error(`no stage for reviewer ${reviewerId} on ${workflow}`);
  return row;
}

// --- gold tasks and scores ------------------------------------------------------------------------

export async function insertGoldAssignment(db: Queryable, a: { taskId: string; workflow: string; reviewerId: string; stage: GoldStage; attempt: number }): Promise<void> {
  await db.query(
    `INSERT INTO gold_assignments (task_id, workflow, reviewer_id, stage, attempt) VALUES ($1::uuid, $2::text, $3::uuid, $4::text, $5::int)`,
    [a.taskId, a.workflow, a.reviewerId, a.stage, a.attempt],
  );
}

export async function getGoldAssignment(db: Queryable, taskId: string): Promise<{ stage: GoldStage; attempt: number } | null> {
  const rows = await db.query<{ stage: GoldStage; attempt: number }>(`SELECT stage, attempt FROM gold_assignments WHERE task_id = $1::uuid`, [taskId]);
  return rows[0] ?? null;
}

export async function insertGoldScore(
  db: Queryable,
  s: { workflow: string; reviewerId: string; itemId: string; taskId: string; stage: GoldStage; attempt: number; correct: boolean; expected: unknown; given: unknown },
): Promise<void> {
  await db.query(
    `INSERT INTO gold_scores (workflow, reviewer_id, item_id, task_id, stage, attempt, correct, expected, given)
     VALUES ($1::text, $2::uuid, $3::uuid, $4::uuid, $5::text, $6::int, $7::boolean, $8::jsonb, $9::jsonb)`,
    [s.workflow, s.reviewerId, s.itemId, s.taskId, s.stage, s.attempt, s.correct, JSON.stringify(s.expected), JSON.stringify(s.given)],
  );
}

export interface ScoreTally {
  answered: number;
  correct: number;
}

/** Gold answers of one stage of one training attempt. */
export async function tallyAttempt(db: Queryable, reviewerId: string, workflow: string, stage: GoldStage, attempt: number): Promise<ScoreTally> {
  const rows = await db.query<ScoreTally>(
    `SELECT count(*)::int AS answered, count(*) FILTER (WHERE correct)::int AS correct
     FROM gold_scores WHERE reviewer_id = $1::uuid AND workflow = $2::text AND stage = $3::text AND attempt = $4::int`,
    [reviewerId, workflow, stage, attempt],
  );
  return rows[0] ?? { answered: 0, correct: 0 };
}

/** The newest `window` live gold answers since the reviewer last qualified (this attempt). */
export async function runningLiveTally(db: Queryable, reviewerId: string, workflow: string, attempt: number, window: number): Promise<ScoreTally> {
  const rows = await db.query<ScoreTally>(
    `SELECT count(*)::int AS answered, count(*) FILTER (WHERE correct)::int AS correct FROM (
       SELECT correct FROM gold_scores
       WHERE reviewer_id = $1::uuid AND workflow = $2::text AND stage = 'live' AND attempt = $3::int
       ORDER BY id DESC LIMIT $4::int) newest`,
    [reviewerId, workflow, attempt, window],
  );
  return rows[0] ?? { answered: 0, correct: 0 };
}

export interface ReviewerGoldTally extends ScoreTally {
  reviewer_id: string;
  email: string;
  stage: GoldStage;
}

/** Gold answers per reviewer and stage in [from, to). */
export async function goldTallies(db: Queryable, workflow: string, from: Date | null, to: Date | null): Promise<ReviewerGoldTally[]> {
  return db.query<ReviewerGoldTally>(
    `SELECT s.reviewer_id::text AS reviewer_id, r.email, s.stage,
            count(*)::int AS answered, count(*) FILTER (WHERE s.correct)::int AS correct
     FROM gold_scores s JOIN reviewers r ON r.id = s.reviewer_id
     WHERE s.workflow = $1::text AND ($2::timestamptz IS NULL OR s.created_at >= $2::timestamptz)
       AND ($3::timestamptz IS NULL OR s.created_at < $3::timestamptz)
     GROUP BY s.reviewer_id, r.email, s.stage ORDER BY r.email, s.stage`,
    [workflow, from?.toISOString() ?? null, to?.toISOString() ?? null],
  );
}

/** All gold answers per reviewer, every stage, for weighting their votes. */
export async function goldTalliesOf(db: Queryable, workflow: string, reviewerIds: readonly string[]): Promise<Map<string, ScoreTally>> {
  const rows = await db.query<ScoreTally & { reviewer_id: string }>(
    `SELECT reviewer_id::text AS reviewer_id, count(*)::int AS answered, count(*) FILTER (WHERE correct)::int AS correct
     FROM gold_scores WHERE workflow = $1::text AND reviewer_id = ANY($2::uuid[]) GROUP BY reviewer_id`,
    [workflow, [...reviewerIds]],
  );
  return new Map(rows.map((r) => [r.reviewer_id, { answered: r.answered, correct: r.correct }]));
}
