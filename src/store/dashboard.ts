// What a lead reads over a time range: per time bucket, the items that came in and how they were
// routed, people's work, time to decision, SLA attainment and queue depth; and per reviewer,
// their throughput and agreement with the final decision.
import type { Queryable } from './db.ts';

export interface Range {
  from: Date;
  to: Date;
  bucketSeconds: number;
}

export interface ItemBucket {
  bucket: number;
  items: number;
  auto: number;
  to_people: number;
  decided: number;
  /** Seconds from submit to decision for items that went to people. */
  p50_s: number | null;
  p95_s: number | null;
}

export async function itemBuckets(db: Queryable, workflow: string, r: Range): Promise<ItemBucket[]> {
  return db.query<ItemBucket>(
    `SELECT floor(extract(epoch FROM created_at - $2::timestamptz) / $4::int)::int AS bucket,
            count(*)::int AS items,
            count(*) FILTER (WHERE route->>'route' = 'auto')::int AS auto,
            count(*) FILTER (WHERE route->>'route' <> 'auto')::int AS to_people,
            count(*) FILTER (WHERE status = 'decided')::int AS decided,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM decided_at - created_at))
              FILTER (WHERE decided_at IS NOT NULL AND route->>'route' <> 'auto') AS p50_s,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM decided_at - created_at))
              FILTER (WHERE decided_at IS NOT NULL AND route->>'route' <> 'auto') AS p95_s
     FROM items WHERE workflow = $1::text AND created_at >= $2::timestamptz AND created_at < $3::timestamptz
     GROUP BY 1 ORDER BY 1`,
    [workflow, r.from.toISOString(), r.to.toISOString(), r.bucketSeconds],
  );
}

export interface WorkBucket {
  bucket: number;
  answers: number;
  /** Sum of the time reviewers reported, in seconds. */
  seconds: number;
  /** Tasks settled (answered or escalated) in the bucket, and those settled by their due time. */
  settled: number;
  on_time: number;
}

export async function workBuckets(db: Queryable, workflow: string, r: Range): Promise<WorkBucket[]> {
  return db.query<WorkBucket>(
    `WITH a AS (
       SELECT floor(extract(epoch FROM a.created_at - $2::timestamptz) / $4::int)::int AS bucket,
              count(*)::int AS answers, coalesce(sum(a.time_spent_ms), 0)::float8 / 1000 AS seconds
       FROM answers a JOIN tasks t ON t.id = a.task_id
       WHERE t.workflow = $1::text AND a.created_at >= $2::timestamptz AND a.created_at < $3::timestamptz
       GROUP BY 1
     ), s AS (
       SELECT floor(extract(epoch FROM updated_at - $2::timestamptz) / $4::int)::int AS bucket,
              count(*)::int AS settled, count(*) FILTER (WHERE updated_at <= due_at)::int AS on_time
       FROM tasks
       WHERE workflow = $1::text AND status IN ('done', 'escalated')
         AND updated_at >= $2::timestamptz AND updated_at < $3::timestamptz
       GROUP BY 1
     )
     SELECT coalesce(a.bucket, s.bucket) AS bucket, coalesce(a.answers, 0) AS answers, coalesce(a.seconds, 0) AS seconds,
            coalesce(s.settled, 0) AS settled, coalesce(s.on_time, 0) AS on_time
     FROM a FULL JOIN s ON s.bucket = a.bucket ORDER BY 1`,
    [workflow, r.from.toISOString(), r.to.toISOString(), r.bucketSeconds],
  );
}

/**
 * Open or leased tasks at the end of each bucket. A settled task's `updated_at` is when it left
 * its queue (tasks are not touched after that).
 */
export async function queueDepthBuckets(db: Queryable, workflow: string, r: Range): Promise<Array<{ bucket: number; depth: number }>> {
  return db.query<{ bucket: number; depth: number }>(
    `WITH b AS (
       SELECT i AS bucket, least($2::timestamptz + make_interval(secs => (i + 1) * $4::int), $3::timestamptz) AS at
       FROM generate_series(0, ceil(extract(epoch FROM $3::timestamptz - $2::timestamptz) / $4::int)::int - 1) AS i
     )
     SELECT b.bucket, count(t.id)::int AS depth
     FROM b LEFT JOIN tasks t ON t.workflow = $1::text AND t.created_at <= b.at
       AND (t.status IN ('open', 'leased') OR t.updated_at > b.at)
     GROUP BY b.bucket ORDER BY b.bucket`,
    [workflow, r.from.toISOString(), r.to.toISOString(), r.bucketSeconds],
  );
}

export interface ReviewerStats {
  reviewer_id: string;
  email: string;
  name: string;
  role: string;
  skills: string[];
  workflows: string[];
  answers: number;
  /** Median seconds per answer, where reported. */
  median_s: number | null;
  /** Answers whose item has a decision by now, and those that agree with it. */
  judged: number;
  agreed: number;
}

/** Per reviewer since `from`, in the given workflows (null: all). */
export async function reviewerStats(db: Queryable, workflows: string[] | null, from: Date): Promise<ReviewerStats[]> {
  return db.query<ReviewerStats>(
    `SELECT r.id::text AS reviewer_id, r.email, r.name, r.role, r.skills,
            coalesce((SELECT array_agg(m.workflow ORDER BY m.workflow) FROM memberships m WHERE m.reviewer_id = r.id), '{}') AS workflows,
            count(a.id)::int AS answers,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY a.time_spent_ms / 1000.0) FILTER (WHERE a.time_spent_ms IS NOT NULL) AS median_s,
            count(d.outcome)::int AS judged,
            count(*) FILTER (WHERE d.outcome = a.outcome)::int AS agreed
     FROM reviewers r
     LEFT JOIN answers a ON a.reviewer_id = r.id AND a.created_at >= $2::timestamptz
       AND ($1::text[] IS NULL OR a.item_id IN (SELECT id FROM items WHERE workflow = ANY($1::text[])))
     LEFT JOIN LATERAL (SELECT outcome FROM decisions WHERE item_id = a.item_id ORDER BY version DESC LIMIT 1) d ON true
     WHERE r.disabled_at IS NULL
       AND ($1::text[] IS NULL OR r.role = 'admin' OR EXISTS (SELECT 1 FROM memberships m WHERE m.reviewer_id = r.id AND m.workflow = ANY($1::text[])))
     GROUP BY r.id ORDER BY count(a.id) DESC, r.email`,
    [workflows, from.toISOString()],
  );
}
