// Answers: what one reviewer gave on one assignment of a task. One per task (UNIQUE task_id); written
// with the close of the lease it answers (store/tasks.ts closeLeaseAnswered).
import type { Queryable } from './db.ts';

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
