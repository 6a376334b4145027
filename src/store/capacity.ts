// What the capacity planner measures of a workflow: how fast items arrive and how the machine
// routed them over a recent window, and how long people spent on their answers.
import type { Queryable } from './db.ts';

export interface ArrivalCounts {
  items: number;
  auto: number;
  /** The first item in the window, or null when there is none. */
  first: Date | null;
  /** Items in the busiest clock hour of the window. */
  busiest_hour: number;
}

export async function arrivalCounts(db: Queryable, workflow: string, since: Date): Promise<ArrivalCounts> {
  const rows = await db.query<ArrivalCounts>(
    `WITH w AS (
       SELECT created_at, route FROM items
       WHERE workflow = $1::text AND created_at >= $2::timestamptz
         -- Gold made for the purpose was never live work.
         AND NOT EXISTS (SELECT 1 FROM gold_items g WHERE g.item_id = items.id AND g.source = 'imported')
     )
     SELECT count(*)::int AS items,
            count(*) FILTER (WHERE route->>'route' = 'auto')::int AS auto,
            min(created_at) AS first,
            coalesce((SELECT max(n) FROM (SELECT count(*)::int AS n FROM w GROUP BY date_trunc('hour', created_at)) h), 0)::int AS busiest_hour
     FROM w`,
    [workflow, since.toISOString()],
  );
  return rows[0] ?? { items: 0, auto: 0, first: null, busiest_hour: 0 };
}

/** Seconds people reported per answer, newest first, at most `limit`. */
export async function answerSeconds(db: Queryable, workflow: string, limit: number): Promise<number[]> {
  const rows = await db.query<{ s: number }>(
    `SELECT a.time_spent_ms::float8 / 1000 AS s
     FROM answers a JOIN tasks t ON t.id = a.task_id
     WHERE t.workflow = $1::text AND a.time_spent_ms > 0
     ORDER BY a.created_at DESC LIMIT $2::int`,
    [workflow, limit],
  );
  return rows.map((r) => r.s);
}
