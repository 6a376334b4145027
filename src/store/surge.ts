// The surge policy's state per workflow, the load it is judged on, and what a change does to
// the tasks already waiting (boost, defer, and their reverts).
import type { Queryable } from './db.ts';

export interface SurgeRow {
  workflow: string;
  active: string[];
  floors: Record<string, number>;
  changed_at: Date | null;
  version: number;
  measured: Record<string, unknown> | null;
  measured_at: Date | null;
}

const columns = 'workflow, active, floors, changed_at, version, measured, measured_at';

export async function getSurgeState(db: Queryable, workflow: string): Promise<SurgeRow | null> {
  const rows = await db.query<SurgeRow>(`SELECT ${columns} FROM surge_states WHERE workflow = $1::text`, [workflow], 'getSurgeState');
  return rows[0] ?? null;
}

export async function listSurgeStates(db: Queryable): Promise<SurgeRow[]> {
  return db.query<SurgeRow>(`SELECT ${columns} FROM surge_states ORDER BY workflow`);
}

/** The workflow's row, locked for this transaction (made at the base state if missing). */
export async function lockSurgeState(db: Queryable, workflow: string): Promise<SurgeRow> {
  await db.query('INSERT INTO surge_states (workflow) VALUES ($1::text) ON CONFLICT (workflow) DO NOTHING', [workflow]);
  const rows = await db.query<SurgeRow>(`SELECT ${columns} FROM surge_states WHERE workflow = $1::text FOR UPDATE`, [workflow]);
  const row = rows[0];
  if (!row) throw new Error(`surge state of ${workflow} vanished`);
  return row;
}

export async function writeSurgeState(
  db: Queryable,
  workflow: string,
  s: { active: readonly string[]; floors: Record<string, number>; changedAt: Date | null; measured: Record<string, unknown> },
): Promise<void> {
  await db.query(
    `UPDATE surge_states SET active = $2::text[], floors = $3::jsonb, changed_at = $4::timestamptz, version = version + 1,
            measured = $5::jsonb, measured_at = now()
     WHERE workflow = $1::text`,
    [workflow, s.active, JSON.stringify(s.floors), s.changedAt?.toISOString() ?? null, JSON.stringify(s.measured)],
  );
}

/** Records what the controller measured, without a change of state. */
export async function writeSurgeMeasure(db: Queryable, workflow: string, measured: Record<string, unknown>): Promise<void> {
  await db.query(
    `INSERT INTO surge_states (workflow, measured, measured_at) VALUES ($1::text, $2::jsonb, now())
     ON CONFLICT (workflow) DO UPDATE SET measured = EXCLUDED.measured, measured_at = EXCLUDED.measured_at`,
    [workflow, JSON.stringify(measured)],
  );
}

export interface LoadRow {
  queue_depth: number;
  deferred: number;
  arrivals: number;
  tasks_made: number;
  reviewers: number;
  handle_seconds: number | null;
  answers: number;
}

/**
 * The load on a workflow's people: open tasks (deferred ones apart), items and their human tasks
 * made in the last `windowSeconds`, people holding a live lease or who answered in the last
 * `activeSeconds`, and the mean handle time of the newest answers of the last day (the time the
 * reviewer reported, else claim to answer).
 */
export async function measureLoad(db: Queryable, workflow: string, windowSeconds: number, activeSeconds: number): Promise<LoadRow> {
  const rows = await db.query<LoadRow>(
    `WITH recent AS (
       SELECT i.id FROM items i WHERE i.workflow = $1::text AND i.created_at > now() - make_interval(secs => $2::float8)
     ), handled AS (
       SELECT coalesce(a.time_spent_ms / 1000.0, extract(epoch FROM a.created_at - (
                SELECT e.created_at FROM events e WHERE e.item_id = a.item_id AND e.task_id = a.task_id AND e.type = 'task.claimed'
                ORDER BY e.id DESC LIMIT 1)))::float8 AS seconds
       FROM answers a JOIN tasks t ON t.id = a.task_id
       WHERE t.workflow = $1::text AND a.created_at > now() - interval '1 day'
       ORDER BY a.created_at DESC LIMIT 200
     )
     SELECT
       (SELECT count(*) FROM tasks WHERE workflow = $1::text AND status = 'open' AND NOT deferred)::int AS queue_depth,
       (SELECT count(*) FROM tasks WHERE workflow = $1::text AND status = 'open' AND deferred)::int AS deferred,
       (SELECT count(*) FROM recent)::int AS arrivals,
       (SELECT count(*) FROM tasks t JOIN recent ON recent.id = t.item_id WHERE t.kind <> 'gold')::int AS tasks_made,
       (SELECT count(DISTINCT r) FROM (
          SELECT lease_owner AS r FROM tasks WHERE workflow = $1::text AND status = 'leased' AND lease_expires_at > now()
          UNION
          SELECT a.reviewer_id FROM answers a JOIN tasks t ON t.id = a.task_id
          WHERE t.workflow = $1::text AND a.created_at > now() - make_interval(secs => $3::float8)) AS x)::int AS reviewers,
       (SELECT avg(seconds) FROM handled WHERE seconds IS NOT NULL AND seconds >= 0)::float8 AS handle_seconds,
       (SELECT count(*) FROM handled)::int AS answers`,
    [workflow, windowSeconds, activeSeconds],
  );
  const row = rows[0];
  if (!row) throw new Error('load measure returned no row');
  return row;
}

export interface WaitingTask {
  task_id: string;
  kind: string;
  text: string | null;
  fields: Record<string, unknown>;
  metadata: Record<string, unknown>;
  route: unknown;
}

/** Open tasks of a workflow with their items, for a surge step to judge one by one. */
export async function openTasksWithItems(db: Queryable, workflow: string, limit: number): Promise<WaitingTask[]> {
  return db.query<WaitingTask>(
    `SELECT t.id::text AS task_id, t.kind, i.text, i.fields, i.metadata, i.route
     FROM tasks t JOIN items i ON i.id = t.item_id
     WHERE t.workflow = $1::text AND t.status = 'open'
     ORDER BY t.priority DESC, t.due_at LIMIT $2::int`,
    [workflow, limit],
  );
}

export async function boostTasks(db: Queryable, ids: readonly string[], boost: number): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await db.query(
    `UPDATE tasks SET priority = priority + $2::int, surge_boost = $2::int, updated_at = now()
     WHERE id = ANY($1::uuid[]) AND status = 'open' AND surge_boost = 0 RETURNING id`,
    [ids, boost],
  );
  return rows.length;
}

export async function deferTasks(db: Queryable, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await db.query(
    `UPDATE tasks SET deferred = true, updated_at = now()
     WHERE id = ANY($1::uuid[]) AND status = 'open' AND NOT deferred AND kind NOT IN ('escalation', 'gold') RETURNING id`,
    [ids],
  );
  return rows.length;
}

/** Takes every surge boost off the workflow's tasks. */
export async function unboostTasks(db: Queryable, workflow: string): Promise<number> {
  const rows = await db.query(
    `UPDATE tasks SET priority = priority - surge_boost, surge_boost = 0, updated_at = now()
     WHERE workflow = $1::text AND surge_boost <> 0 RETURNING id`,
    [workflow],
  );
  return rows.length;
}

/** Makes every deferred task of the workflow claimable again. */
export async function releaseDeferred(db: Queryable, workflow: string): Promise<number> {
  const rows = await db.query(
    `UPDATE tasks SET deferred = false, updated_at = now() WHERE workflow = $1::text AND deferred RETURNING id`,
    [workflow],
  );
  return rows.length;
}

export interface SurgeEventRow {
  id: string;
  payload: Record<string, unknown>;
  created_at: Date;
}

// The table's id, not the text `id` of the select list (which would sort "999" after "1000").
export async function surgeHistory(db: Queryable, workflow: string, limit: number): Promise<SurgeEventRow[]> {
  return db.query<SurgeEventRow>(
    `SELECT id::text AS id, payload, created_at FROM events
     WHERE workflow = $1::text AND type = 'surge.changed' ORDER BY events.id DESC LIMIT $2::int`,
    [workflow, limit],
  );
}
