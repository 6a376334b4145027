// A set of answers on review tasks, settled by one statement (engine/answerBatch.ts): each lease
// that is still its reviewer's is closed as done with the answer and `task.answered`, and the
// answer becomes the item's next decision version with `decision.made`, its training example and
// a NOTIFY for waiting clients (one for the set, events.ts itemsPerNotification). The one-by-one
// path writes the same rows in two statements (closeLeaseAnswered, then appendDecision) inside a
// transaction; here it is one round trip.
//
// One statement reads the decisions as they were when it started. If a lead's correction of one
// of the items commits meanwhile, two decisions would take the same version: the key refuses
// that, the statement fails as a whole, and the caller settles each answer the one-by-one way.
import type { Queryable } from './db.ts';
import { decidingSteps, decisionEventSql, type DecisionRow } from './decisions.ts';
import { decisionChannel, itemsPerNotification } from './events.ts';
import { upsertDecisionExampleFrom } from './examples.ts';
import { newId } from './ids.ts';
import { taskAnsweredPayload, taskColumns, type AnswerRecord, type Lease, type TaskRow } from './tasks.ts';

export interface ReviewSetEntry {
  lease: Lease;
  answer: AnswerRecord;
  /** Who decided, as the decision records it. */
  actor: string;
  reason: string;
  /** The label the model learns from this answer; null when it teaches none. */
  exampleLabel: string | null;
}

export interface ReviewSetResult {
  task: TaskRow;
  decision: DecisionRow;
}

/** Slot i is null where entry i's lease is no longer its reviewer's (nothing of it was written). */
export async function settleReviewSet(db: Queryable, entries: readonly ReviewSetEntry[]): Promise<Array<ReviewSetResult | null>> {
  // One JSON parameter rather than arrays: its row estimate does not depend on the set's size, so
  // the prepared statement settles on one generic plan instead of being planned for every set.
  const input = entries.map((e, i) => ({
    ord: i + 1, task_id: e.lease.taskId, reviewer_id: e.lease.reviewerId, assignment: e.lease.assignment, answer_id: newId(),
    outcome: e.answer.outcome, note: e.answer.note, time_spent_ms: e.answer.timeSpentMs, blind: e.answer.blind,
    decision_id: newId(), actor: e.actor, reason: e.reason, example_label: e.exampleLabel,
  }));
  const rows = await db.query<TaskRow & { ord: number; d_id: string; d_version: number; d_outcome: unknown; d_actor: string; d_reason: string; d_supersedes: string | null; d_created_at: Date }>(
    `WITH input AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(ord int, task_id uuid, reviewer_id uuid, assignment int, answer_id uuid, outcome jsonb,
         note text, time_spent_ms int, blind boolean, decision_id uuid, actor text, reason text, example_label text)
     ), closed AS (
       UPDATE tasks SET status = 'done', updated_at = now(), lease_expires_at = NULL
       FROM input
       WHERE tasks.id = input.task_id AND tasks.status = 'leased' AND tasks.lease_owner = input.reviewer_id AND tasks.assignment = input.assignment
       RETURNING tasks.*, input.ord, input.answer_id, input.reviewer_id AS answered_by, input.outcome AS answer_outcome, input.note AS answer_note,
                 input.time_spent_ms AS answer_time, input.blind AS answer_blind, input.decision_id, input.actor AS decided_by,
                 input.reason AS decision_reason, input.example_label
     ), answer AS (
       INSERT INTO answers (id, task_id, item_id, reviewer_id, assignment, outcome, note, time_spent_ms, blind)
       SELECT answer_id, id, item_id, answered_by, assignment, answer_outcome, answer_note, answer_time, answer_blind FROM closed
     ), ${decidingSteps('closed', ['closed.example_label'])}, planned AS (
       -- Each decision as it will be written, beside its task: the insert, the events and the result
       -- read it without joining back. (Postgres counts a data-modifying CTE as one row, so a join
       -- between two of them ran as a nested loop over every pair of the set's rows.)
       SELECT c.*, coalesce(l.version, 0) + 1 AS version, 'human'::text AS source, l.id AS supersedes
       FROM closed c LEFT JOIN latest l ON l.item_id = c.item_id
     ), inserted AS (
       INSERT INTO decisions (id, item_id, version, source, outcome, actor, reason, supersedes)
       SELECT decision_id, item_id, version, source, answer_outcome, decided_by, decision_reason, supersedes FROM planned
       RETURNING item_id
     ), event AS (
       -- One insert for both events, so that each item's task.answered comes before its decision.made.
       INSERT INTO events (type, workflow, item_id, task_id, payload)
       SELECT type, workflow, item_id, task_id, payload FROM (
         SELECT c.ord, 0 AS k, 'task.answered' AS type, c.workflow, c.item_id, c.id AS task_id,
                ${taskAnsweredPayload('c.answered_by::text', 'c.kind', 'c.answer_outcome')} AS payload
         FROM closed c
         UNION ALL
         SELECT d.ord, 1, ${decisionEventSql('d').type}, d.workflow, d.item_id, NULL::uuid, ${decisionEventSql('d').payload}
         FROM (SELECT ord, workflow, item_id, version, source, answer_outcome AS outcome, supersedes FROM planned) d
       ) e ORDER BY ord, k
     ), example AS (
       ${upsertDecisionExampleFrom(`(SELECT workflow, id AS item_id, text, example_label AS label FROM decided
          WHERE example_label IS NOT NULL AND coalesce(text, '') <> '') AS e`)}
     )
     SELECT ${taskColumns}, ord, decision_id::text AS d_id, version AS d_version, answer_outcome AS d_outcome, decided_by AS d_actor,
            decision_reason AS d_reason, supersedes::text AS d_supersedes, now() AS d_created_at,
            (SELECT count(*) FROM (SELECT pg_notify('${decisionChannel}', string_agg(n.item_id::text, ','))
                                   FROM (SELECT item_id, (row_number() OVER () - 1) / ${itemsPerNotification} AS part FROM inserted) n
                                   GROUP BY part) sent) AS notified
     FROM planned`,
    [JSON.stringify(input)],
    'settleReviewSet',
  );
  const out: Array<ReviewSetResult | null> = entries.map(() => null);
  for (const row of rows) {
    const { ord, notified: _, d_id, d_version, d_outcome, d_actor, d_reason, d_supersedes, d_created_at, ...task } = row as typeof row & { notified: unknown };
    out[ord - 1] = {
      task,
      decision: { id: d_id, item_id: task.item_id, version: d_version, source: 'human', outcome: d_outcome, actor: d_actor, reason: d_reason, supersedes: d_supersedes, created_at: d_created_at },
    };
  }
  return out;
}
