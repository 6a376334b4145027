// What /metrics reads from the database at scrape time: one grouped statement per metric family.
// These are whole-database figures, the same whichever process is scraped.
import type { Queryable } from './db.ts';

export interface RouteCount {
  workflow: string;
  route: string;
  n: number;
}

/** Items ever submitted, by workflow and route (auto, review, escalate). */
export async function countItemsByRoute(db: Queryable): Promise<RouteCount[]> {
  return db.query<RouteCount>(
    `SELECT workflow, route->>'route' AS route, count(*)::int AS n FROM items GROUP BY workflow, route->>'route' ORDER BY 1, 2`,
  );
}

export interface DecisionCount {
  workflow: string;
  source: string;
  n: number;
}

/** Decisions ever made (superseding corrections included), by workflow and source. */
export async function countDecisionsBySource(db: Queryable): Promise<DecisionCount[]> {
  return db.query<DecisionCount>(
    `SELECT i.workflow, d.source, count(*)::int AS n FROM decisions d JOIN items i ON i.id = d.item_id
     GROUP BY i.workflow, d.source ORDER BY 1, 2`,
  );
}

export interface QueueLoad {
  workflow: string;
  queue: string;
  open: number;
  leased: number;
  /** Seconds since the oldest open task was created; null when none is open. */
  oldest_open_seconds: number | null;
}

/** Open and leased tasks per queue and the age of the oldest open one. */
export async function readQueueLoad(db: Queryable): Promise<QueueLoad[]> {
  return db.query<QueueLoad>(
    `SELECT workflow, queue, count(*) FILTER (WHERE status = 'open')::int AS open,
            count(*) FILTER (WHERE status = 'leased')::int AS leased,
            extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'open'))::float8 AS oldest_open_seconds
     FROM tasks WHERE status IN ('open', 'leased') GROUP BY workflow, queue ORDER BY 1, 2`,
  );
}

export interface BreachCount {
  workflow: string;
  queue: string;
  n: number;
}

/**
 * Tasks that went past their due time. `overdue_at` is set exactly once per task, in the same
 * statement that writes its `task.overdue` event, so counting tasks counts those events without
 * scanning the (much larger) events table.
 */
export async function countSlaBreaches(db: Queryable): Promise<BreachCount[]> {
  return db.query<BreachCount>(
    `SELECT workflow, queue, count(*)::int AS n FROM tasks WHERE overdue_at IS NOT NULL GROUP BY workflow, queue ORDER BY 1, 2`,
  );
}

export interface HandleTimeBuckets {
  workflow: string;
  /** Cumulative counts, one per upper bound given, in order. */
  buckets: number[];
  count: number;
  sum_seconds: number;
}

/**
 * Answers' time spent per workflow, counted into cumulative histogram buckets with upper bounds
 * `boundsMs` (inclusive, like Prometheus' `le`). Grouping by bucket keeps it one pass over answers.
 */
export async function readHandleTimes(db: Queryable, boundsMs: readonly number[]): Promise<HandleTimeBuckets[]> {
  // width_bucket counts the bounds <= its operand; times are whole milliseconds and bounds too, so
  // half a millisecond less counts the bounds strictly below the time: the index of its bucket.
  const rows = await db.query<{ workflow: string; bucket: number; n: number; sum_ms: number }>(
    `SELECT t.workflow, width_bucket((a.time_spent_ms - 0.5)::float8, $1::float8[]) AS bucket, count(*)::int AS n, sum(a.time_spent_ms)::float8 AS sum_ms
     FROM answers a JOIN tasks t ON t.id = a.task_id
     WHERE a.time_spent_ms IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2`,
    [boundsMs],
  );
  const byWorkflow = new Map<string, HandleTimeBuckets>();
  for (const r of rows) {
    let h = byWorkflow.get(r.workflow);
    if (!h) byWorkflow.set(r.workflow, (h = { workflow: r.workflow, buckets: boundsMs.map(() => 0), count: 0, sum_seconds: 0 }));
    for (let i = r.bucket; i < boundsMs.length; i++) h.buckets[i]! += r.n;
    h.count += r.n;
    h.sum_seconds += r.sum_ms / 1000;
  }
  return [...byWorkflow.values()];
}

export interface ServedModel {
  workflow: string;
  version: number;
  ece: number | null;
  accuracy: number | null;
}

/** The newest model version of each workflow (the one that serves) and its held-out scores. */
export async function readServedModels(db: Queryable): Promise<ServedModel[]> {
  return db.query<ServedModel>(
    `SELECT DISTINCT ON (workflow) workflow, version, (scores->>'ece')::float8 AS ece, (scores->>'accuracy')::float8 AS accuracy
     FROM model_versions ORDER BY workflow, version DESC`,
  );
}

export interface WebhookLoad {
  endpoint: string;
  pending: number;
  dead: number;
  /** Attempts that did not deliver: every attempt of a pending or dead delivery, all but the last of a delivered one. */
  failed_attempts: number;
  /** Age of the oldest delivery still pending, or null. */
  lag_seconds: number | null;
}

/** Per webhook endpoint: what waits, what died, what failed, and how far delivery lags. */
export async function readWebhookLoad(db: Queryable): Promise<WebhookLoad[]> {
  return db.query<WebhookLoad>(
    `SELECT e.id::text AS endpoint,
            count(d.id) FILTER (WHERE d.status = 'pending')::int AS pending,
            count(d.id) FILTER (WHERE d.status = 'dead')::int AS dead,
            coalesce(sum(CASE WHEN d.status = 'delivered' THEN d.attempts - 1 ELSE d.attempts END), 0)::int AS failed_attempts,
            extract(epoch FROM now() - min(d.created_at) FILTER (WHERE d.status = 'pending'))::float8 AS lag_seconds
     FROM webhook_endpoints e LEFT JOIN webhook_deliveries d ON d.endpoint_id = e.id
     GROUP BY e.id ORDER BY e.id`,
  );
}
