// Tasks: units of human work in queues. A claim takes the best open task with
// FOR UPDATE SKIP LOCKED, so any number of claimers in any number of processes never collide,
// and bumps `assignment`, the token an answer must present (optimistic concurrency).
import type { Queryable } from './db.ts';
import { newId } from './ids.ts';
import { prefixedItemColumns, splitItem, type ItemRow, type NewTask, type PrefixedItem } from './items.ts';

export type TaskKind = NewTask['kind'];
export type TaskStatus = 'open' | 'leased' | 'done' | 'escalated' | 'cancelled';

export interface TaskRow {
  id: string;
  item_id: string;
  workflow: string;
  queue: string;
  kind: TaskKind;
  status: TaskStatus;
  priority: number;
  due_at: Date;
  skills: string[];
  assignment: number;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  overdue_at: Date | null;
  reason: string | null;
  created_at: Date;
  updated_at: Date;
}

export const taskColumns = `id::text AS id, item_id::text AS item_id, workflow, queue, kind, status, priority, due_at, skills,
  assignment, lease_owner::text AS lease_owner, lease_expires_at, overdue_at, reason, created_at, updated_at`;

export interface ClaimFilter {
  reviewerId: string;
  /** Workflows the reviewer may work; null for all. */
  workflows: string[] | null;
  workflow: string | null;
  queue: string | null;
  skills: string[];
  /** Leads and admins also take escalations. */
  mayTakeEscalations: boolean;
  leaseSeconds: number;
}

/** What a claim asks for, apart from who asks: claims with equal filters can be served as one set. */
export type SharedClaimFilter = Omit<ClaimFilter, 'reviewerId'>;

/**
 * The open tasks a claimer may take, as SQL for this filter's shape, with its parameters (from $1),
 * the last of them the claimers: a vote is not theirs to take on an item where any of them holds
 * or gave a vote. A task deferred by a surge waits until it is released.
 *
 * A filter left out is left out of the text, not written `$n IS NULL OR …`: each shape is then a
 * statement of its own that Postgres can plan once, generically, and still walk tasks_claim in
 * order (planning the claim for every set took 0.6–1 ms of the server's CPU).
 *
 * tasks_claim is in order within one workflow only. A claim over several (`workflows`, the SQL of
 * their names) walks each by its index and merges what it found, rather than reading and sorting
 * every open task of them all (90–100 ms a set at 30,000 open tasks in two workflows).
 */
function claimable(f: SharedClaimFilter, reviewerIds: readonly string[]): { where: string; workflows: string | null; params: unknown[]; shape: string } {
  const params: unknown[] = [];
  const param = (v: unknown, type: string) => `$${params.push(v)}::${type}`;
  const conditions = [`t.status = 'open'`, 'NOT t.deferred'];
  // Named beside each choice that changes the text, so that a statement name always means one text.
  const shape: string[] = [];
  const one = f.workflow ?? (f.workflows?.length === 1 ? f.workflows[0]! : null);
  let workflows: string | null = null;
  if (one !== null) {
    conditions.push(`t.workflow = ${param(one, 'text')}`);
    shape.push('one');
    if (f.workflows !== null && f.workflow !== null) {
      conditions.push(`t.workflow = ANY(${param(f.workflows, 'text[]')})`);
      shape.push('of');
    }
  } else if (f.workflows === null) {
    workflows = '(SELECT name FROM workflows)';
    shape.push('all');
  } else {
    workflows = `unnest(${param(f.workflows, 'text[]')})`;
    shape.push('each');
  }
  if (f.queue !== null) {
    conditions.push(`t.queue = ${param(f.queue, 'text')}`);
    shape.push('queue');
  }
  conditions.push(`t.skills <@ ${param(f.skills, 'text[]')}`);
  if (!f.mayTakeEscalations) {
    conditions.push(`t.kind <> 'escalation'`);
    shape.push('noesc');
  }
  const claimers = param(reviewerIds, 'uuid[]');
  conditions.push(`(t.kind <> 'vote' OR NOT EXISTS (
           SELECT 1 FROM tasks o
           WHERE o.item_id = t.item_id AND o.kind = 'vote' AND o.lease_owner = ANY(${claimers}) AND o.status IN ('leased', 'done')))`);
  return { where: conditions.join('\n         AND '), workflows, params, shape: shape.join('.') };
}

export type ClaimedRow = { task: TaskRow; item: ItemRow };

export async function claimNextTask(db: Queryable, f: ClaimFilter): Promise<ClaimedRow | null> {
  const { reviewerId, ...shared } = f;
  return (await claimNextTasks(db, shared, [reviewerId]))[0] ?? null;
}

/**
 * Leases the best open tasks to several claimers in one statement (engine/claimBatch.ts): the
 * first claimer gets the best task, the second the next, and so on. A slot is null when the set
 * found fewer tasks than claimers; that is not proof of an empty queue for that claimer (a vote
 * another claimer of the set gave is left out for all of them), so the caller asks again alone.
 * The claimers must be distinct people.
 *
 * A lease is committed without waiting for its WAL flush (`synchronous_commit` off for this
 * statement's own transaction, so call it outside a transaction): if the server crashes within a
 * fraction of a second of the claim, the lease may be gone after recovery. The task is then open
 * again and the claimer's answer is refused with "no longer yours", as after an expired lease;
 * nothing a person answered is lost, since an answer waits for its flush, and the flush carries
 * every lease written before it. Claims then wait less and no longer queue submits behind their flushes.
 */
export async function claimNextTasks(db: Queryable, f: SharedClaimFilter, reviewerIds: readonly string[]): Promise<Array<ClaimedRow | null>> {
  // The task's item comes in the same statement: a claim is one round trip.
  const { where, workflows, params, shape } = claimable(f, reviewerIds);
  const claimers = `$${params.length}::uuid[]`;
  // Over several workflows, up to a set's worth of each is locked and the best of them leased; the
  // rest are unlocked again when the statement commits.
  const best = (also = '') => `SELECT t.id, t.priority, t.due_at, t.created_at FROM tasks t
       WHERE ${also}${where}
       ORDER BY t.priority DESC, t.due_at, t.created_at
       LIMIT cardinality(${claimers})
       FOR UPDATE SKIP LOCKED`;
  const rows = await db.query<TaskRow & PrefixedItem & { ord: string }>(
    `WITH picked AS (
       ${workflows === null ? best() : `SELECT c.* FROM ${workflows} AS w(name) CROSS JOIN LATERAL (${best('t.workflow = w.name AND ')}) c
       ORDER BY c.priority DESC, c.due_at, c.created_at
       LIMIT cardinality(${claimers})`}
     ), next AS (
       SELECT id, row_number() OVER (ORDER BY priority DESC, due_at, created_at) AS ord FROM picked
     ), claimers AS (
       SELECT * FROM unnest(${claimers}) WITH ORDINALITY AS c(reviewer_id, ord)
     ), claimed AS (
       UPDATE tasks SET status = 'leased', lease_owner = claimers.reviewer_id, assignment = assignment + 1,
              lease_expires_at = now() + make_interval(secs => $${params.length + 1}::int), updated_at = now()
       FROM next JOIN claimers USING (ord) WHERE tasks.id = next.id
       RETURNING tasks.*, claimers.ord
     ), event AS (
       INSERT INTO events (type, workflow, item_id, task_id, payload)
       SELECT 'task.claimed', workflow, item_id, id, jsonb_build_object('reviewer', lease_owner::text, 'assignment', assignment)
       FROM claimed ORDER BY ord
     ), task AS (
       SELECT ${taskColumns}, ord FROM claimed
     ), lazy_commit AS (
       SELECT set_config('synchronous_commit', 'off', true)
     )
     SELECT task.*, ${prefixedItemColumns('i')} FROM task JOIN items i ON i.id = task.item_id::uuid CROSS JOIN lazy_commit`,
    [...params, f.leaseSeconds],
    `claimNextTasks.${shape}`,
  );
  const out: Array<ClaimedRow | null> = reviewerIds.map(() => null);
  for (const row of rows) {
    const { ord, ...rest } = row;
    const { item, rest: task } = splitItem(rest);
    out[Number(ord) - 1] = { task, item };
  }
  return out;
}

/** Whether a claim with this filter would find a task now (gold is only mixed into a queue that has work). */
export async function hasClaimableTask(db: Queryable, f: ClaimFilter): Promise<boolean> {
  const { reviewerId, ...shared } = f;
  const { where, workflows, params } = claimable(shared, [reviewerId]);
  const rows = await db.query(`SELECT 1 FROM tasks t WHERE ${where}${workflows === null ? '' : ` AND t.workflow IN (SELECT * FROM ${workflows} AS w(name))`} LIMIT 1`, params);
  return rows.length > 0;
}

/**
 * A task made for one reviewer and leased to them at once (gold): it is never open in a queue,
 * so nobody else can claim it. Written with its `task.claimed` event, like a claim.
 */
export async function insertLeasedTask(
  db: Queryable,
  t: { id: string; itemId: string; workflow: string; queue: string; kind: TaskKind; dueInSeconds: number; reason: string; reviewerId: string; leaseSeconds: number },
): Promise<TaskRow> {
  const rows = await db.query<TaskRow>(
    `WITH claimed AS (
       INSERT INTO tasks (id, item_id, workflow, queue, kind, status, priority, due_at, skills, reason, assignment, lease_owner, lease_expires_at)
       VALUES ($1::uuid, $2::uuid, $3::text, $4::text, $5::text, 'leased', 0, now() + make_interval(secs => $6::int), '{}', $7::text,
               1, $8::uuid, now() + make_interval(secs => $9::int))
       RETURNING *
     ), event AS (
       INSERT INTO events (type, workflow, item_id, task_id, payload)
       SELECT 'task.claimed', workflow, item_id, id, jsonb_build_object('reviewer', $8::text, 'assignment', assignment) FROM claimed
     )
     SELECT ${taskColumns} FROM claimed`,
    [t.id, t.itemId, t.workflow, t.queue, t.kind, t.dueInSeconds, t.reason, t.reviewerId, t.leaseSeconds],
  );
  const row = rows[0];
  if (!row) throw new Error('leased task insert returned no row');
  return row;
}

export async function getTask(db: Queryable, id: string): Promise<TaskRow | null> {
  const rows = await db.query<TaskRow>(`SELECT ${taskColumns} FROM tasks WHERE id = $1::uuid`, [id], 'getTask');
  return rows[0] ?? null;
}

export async function listItemTasks(db: Queryable, itemId: string): Promise<TaskRow[]> {
  return db.query<TaskRow>(`SELECT ${taskColumns} FROM tasks WHERE item_id = $1::uuid ORDER BY created_at, id`, [itemId]);
}

export interface Lease {
  taskId: string;
  reviewerId: string;
  assignment: number;
}

/** Extends a lease that is still the caller's; null when it is not (answered, lost, released). */
export async function extendLease(db: Queryable, lease: Lease, leaseSeconds: number): Promise<TaskRow | null> {
  const rows = await db.query<TaskRow>(
    `UPDATE tasks SET lease_expires_at = now() + make_interval(secs => $4::int), updated_at = now()
     WHERE id = $1::uuid AND status = 'leased' AND lease_owner = $2::uuid AND assignment = $3::int
     RETURNING ${taskColumns}`,
    [lease.taskId, lease.reviewerId, lease.assignment, leaseSeconds],
    'extendLease',
  );
  return rows[0] ?? null;
}

/** Ends a lease that is still the caller's, moving the task to `status`; null when it is not. */
export async function closeLease(db: Queryable, lease: Lease, status: 'open' | 'done' | 'escalated' | 'cancelled'): Promise<TaskRow | null> {
  const rows = await db.query<TaskRow>(
    `UPDATE tasks SET status = $4::text, updated_at = now(),
            lease_owner = CASE WHEN $4::text = 'open' THEN NULL ELSE lease_owner END,
            lease_expires_at = NULL
     WHERE id = $1::uuid AND status = 'leased' AND lease_owner = $2::uuid AND assignment = $3::int
     RETURNING ${taskColumns}`,
    [lease.taskId, lease.reviewerId, lease.assignment, status],
    'closeLease',
  );
  return rows[0] ?? null;
}

export interface AnswerRecord {
  outcome: unknown;
  note: string | null;
  timeSpentMs: number | null;
  blind: boolean | null;
}

/** A `task.answered` event's payload, as SQL over the given expressions (here and in store/reviewSets.ts). */
export const taskAnsweredPayload = (reviewer: string, kind: string, outcome: string) =>
  `jsonb_build_object('reviewer', ${reviewer}, 'kind', ${kind}, 'outcome', ${outcome})`;

/**
 * Ends a lease that is still the caller's as done, records their answer with its `task.answered`
 * event and locks the task's item (decisions on one item happen one at a time), in one statement:
 * an answer is on the hot path. Null when the lease is not the caller's, and then nothing is written.
 */
export async function closeLeaseAnswered(db: Queryable, lease: Lease, a: AnswerRecord): Promise<{ task: TaskRow; item: ItemRow } | null> {
  const rows = await db.query<TaskRow & PrefixedItem>(
    `WITH closed AS (
       UPDATE tasks SET status = 'done', updated_at = now(), lease_expires_at = NULL
       WHERE id = $1::uuid AND status = 'leased' AND lease_owner = $2::uuid AND assignment = $3::int
       RETURNING *
     ), answer AS (
       INSERT INTO answers (id, task_id, item_id, reviewer_id, assignment, outcome, note, time_spent_ms, blind)
       SELECT $4::uuid, id, item_id, $2::uuid, $3::int, $5::jsonb, $6::text, $7::int, $8::boolean FROM closed
     ), event AS (
       INSERT INTO events (type, workflow, item_id, task_id, payload)
       SELECT 'task.answered', workflow, item_id, id, ${taskAnsweredPayload('$2::text', 'kind', '$5::jsonb')}
       FROM closed
     ), item AS (
       SELECT * FROM items WHERE id = (SELECT item_id FROM closed) FOR UPDATE
     ), task AS (
       SELECT ${taskColumns} FROM closed
     )
     SELECT task.*, ${prefixedItemColumns('i')} FROM task JOIN item i ON i.id = task.item_id::uuid`,
    [lease.taskId, lease.reviewerId, lease.assignment, newId(), JSON.stringify(a.outcome), a.note, a.timeSpentMs, a.blind],
    'closeLeaseAnswered',
  );
  const row = rows[0];
  if (!row) return null;
  const { item, rest } = splitItem(row);
  return { task: rest, item };
}

export async function insertTask(db: Queryable, itemId: string, workflow: string, t: NewTask): Promise<void> {
  await db.query(
    `INSERT INTO tasks (id, item_id, workflow, queue, kind, status, priority, due_at, skills, reason)
     VALUES ($1::uuid, $2::uuid, $3::text, $4::text, $5::text, 'open', $6::int,
             now() + make_interval(secs => $7::int), $8::text[], $9::text)`,
    [t.id, itemId, workflow, t.queue, t.kind, t.priority, t.dueInSeconds, t.skills, t.reason],
  );
}

/** Cancels the item's open work, but for the task `except` names (e.g. audits once a lead ruled). */
export async function cancelOpenTasks(db: Queryable, itemId: string, except: string | null = null): Promise<number> {
  const rows = await db.query(
    `UPDATE tasks SET status = 'cancelled', updated_at = now(), lease_owner = NULL, lease_expires_at = NULL
     WHERE item_id = $1::uuid AND ($2::uuid IS NULL OR id <> $2::uuid) AND status IN ('open', 'leased') RETURNING id`,
    [itemId, except],
  );
  return rows.length;
}

/** How many consensus votes the item was given when it was routed. */
export async function countVoteTasks(db: Queryable, itemId: string): Promise<number> {
  const rows = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE item_id = $1::uuid AND kind = 'vote'`, [itemId], 'countVoteTasks');
  return rows[0]?.n ?? 0;
}

/** Returns expired leases to their queues; one statement, with a `task.lease_expired` event each. */
export async function expireLeases(db: Queryable): Promise<number> {
  const rows = await db.query(
    `WITH expired AS (
       -- A gold task was made for one reviewer: it ends with their lease instead of reopening.
       UPDATE tasks SET status = CASE WHEN kind = 'gold' THEN 'cancelled' ELSE 'open' END,
              lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
       WHERE id IN (SELECT id FROM tasks WHERE status = 'leased' AND lease_expires_at < now()
                    FOR UPDATE SKIP LOCKED)
       RETURNING id, item_id, workflow, assignment
     )
     INSERT INTO events (type, workflow, item_id, task_id, payload)
     SELECT 'task.lease_expired', workflow, item_id, id, jsonb_build_object('assignment', assignment) FROM expired
     RETURNING id`,
  );
  return rows.length;
}

/** Marks tasks past their due time, once each, with a `task.overdue` event. */
export async function markOverdue(db: Queryable): Promise<number> {
  const rows = await db.query(
    `WITH overdue AS (
       UPDATE tasks SET overdue_at = now()
       WHERE id IN (SELECT id FROM tasks WHERE status IN ('open', 'leased') AND overdue_at IS NULL AND due_at < now()
                    FOR UPDATE SKIP LOCKED)
       RETURNING id, item_id, workflow, due_at
     )
     INSERT INTO events (type, workflow, item_id, task_id, payload)
     SELECT 'task.overdue', workflow, item_id, id, jsonb_build_object('dueAt', due_at) FROM overdue
     RETURNING id`,
  );
  return rows.length;
}

export interface QueueDepth {
  workflow: string;
  queue: string;
  open: number;
  leased: number;
  oldest_due_at: Date | null;
}

export async function queueDepths(db: Queryable, workflows: string[] | null): Promise<QueueDepth[]> {
  return db.query<QueueDepth>(
    `SELECT workflow, queue, count(*) FILTER (WHERE status = 'open')::int AS open,
            count(*) FILTER (WHERE status = 'leased')::int AS leased, min(due_at) AS oldest_due_at
     FROM tasks WHERE status IN ('open', 'leased') AND ($1::text[] IS NULL OR workflow = ANY($1::text[]))
     GROUP BY workflow, queue ORDER BY workflow, queue`,
    [workflows],
  );
}
