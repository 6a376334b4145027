// Answers: what one reviewer gave on one assignment of a task. One per task (UNIQUE task_id).
import type { Queryable } from './db.ts';
import { newId } from './ids.ts';

export interface AnswerRow {
  id: string;
  task_id: string;
  item_id: string;
  reviewer_id: string;
  assignment: number;
  outcome: unknown;
  note: string | null;
  time_spent_ms: number | null;
  created_at: Date;
}

const columns = `id::text AS id, task_id::text AS task_id, item_id::text AS item_id, reviewer_id::text AS reviewer_id,
  assignment, outcome, note, time_spent_ms, created_at`;

export async function insertAnswer(
  db: Queryable,
  a: {
    taskId: string; itemId: string; reviewerId: string; assignment: number; outcome: unknown; note: string | null; timeSpentMs: number | null;
    /** Answered without the machine's suggestion in view (the workflow's blindMode); null when unknown. */
    blind?: boolean | null;
  },
): Promise<AnswerRow> {
  const rows = await db.query<AnswerRow>(
    `INSERT INTO answers (id, task_id, item_id, reviewer_id, assignment, outcome, note, time_spent_ms, blind)
     VALUES ($8::uuid, $1::uuid, $2::uuid, $3::uuid, $4::int, $5::jsonb, $6::text, $7::int, $9::boolean)
     RETURNING ${columns}`,
    [a.taskId, a.itemId, a.reviewerId, a.assignment, JSON.stringify(a.outcome), a.note, a.timeSpentMs, newId(), a.blind ?? null],
    'insertAnswer',
  );
  const row = rows[0];
  if (!row) throw new Error('answer insert returned no row');
  return row;
}

export async function listItemAnswers(db: Queryable, itemId: string): Promise<AnswerRow[]> {
  return db.query<AnswerRow>(`SELECT ${columns} FROM answers WHERE item_id = $1::uuid ORDER BY created_at, id`, [itemId]);
}

/** The answers to the item's consensus votes, oldest first. */
export async function listVoteAnswers(db: Queryable, itemId: string): Promise<AnswerRow[]> {
  return db.query<AnswerRow>(
    `SELECT ${columns} FROM answers
     WHERE item_id = $1::uuid AND task_id IN (SELECT id FROM tasks WHERE item_id = $1::uuid AND kind = 'vote')
     ORDER BY created_at, id`,
    [itemId],
    'listVoteAnswers',
  );
}
