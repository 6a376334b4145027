// The outbox fan-out that webhooks and chat notifications share: each subscriber row (an
// endpoint, a notification target) gets, as pending rows of its queue, the events of the
// transactions that have all finished since its last fan-out, in (transaction, id) order, and its
// `fanned_to` moves up to the horizon. `events.txid` is the writing transaction's id (migration
// 012), and the horizon is the oldest transaction still running, so an event whose transaction
// commits after a later one is never skipped. Subscriber rows are locked with SKIP LOCKED, so any
// number of processes may fan out at once.
import type { Queryable } from './db.ts';

export interface FanOutTables {
  /** The subscriber table, with `id`, `workflow` and `fanned_to` columns. */
  subscribers: 'webhook_endpoints' | 'notification_targets';
  /** The queue table, with a unique (`key`, `event_id`). */
  queue: 'webhook_deliveries' | 'notifications';
  key: 'endpoint_id' | 'target_id';
  /** Further subscriber columns the filter reads, as `sub.<column>`. */
  columns: readonly string[];
  /** SQL condition on the event `e` and the subscriber `sub`, beyond the subscriber's workflow. */
  filter: string;
}

/** Returns how many queue rows were made. `params` are the filter's `$1`, `$2` … */
export async function fanOut(db: Queryable, t: FanOutTables, params: readonly unknown[] = []): Promise<number> {
  const extra = t.columns.map((c) => `, s.${c}`).join('');
  const rows = await db.query<{ n: string }>(
    `WITH horizon AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin),
     sub AS (
       SELECT s.id, s.workflow, s.fanned_to${extra} FROM ${t.subscribers} s, horizon
       WHERE s.fanned_to < horizon.xmin FOR UPDATE OF s SKIP LOCKED
     ),
     ins AS (
       INSERT INTO ${t.queue} (${t.key}, event_id)
       SELECT sub.id, e.id FROM sub CROSS JOIN horizon JOIN events e
         ON e.txid >= sub.fanned_to AND e.txid < horizon.xmin
       WHERE (sub.workflow IS NULL OR e.workflow = sub.workflow) AND (${t.filter})
       ORDER BY e.txid, e.id
       ON CONFLICT (${t.key}, event_id) DO NOTHING
       RETURNING 1
     ),
     moved AS (
       UPDATE ${t.subscribers} s SET fanned_to = horizon.xmin FROM sub, horizon WHERE s.id = sub.id RETURNING 1
     )
     SELECT (SELECT count(*) FROM ins)::text AS n, (SELECT count(*) FROM moved) AS m`,
    [...params],
  );
  return Number(rows[0]?.n ?? 0);
}
