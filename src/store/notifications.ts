// Notification targets and their queue of pending notifications. Fan-out is the webhooks' own
// (store/fanOut.ts); sending takes a per-target lease row-wise,
// so any number of processes may run the notifier.
import type { Queryable } from './db.ts';
import { fanOut } from './fanOut.ts';
import type { NotificationFormat } from '../core/notifications.ts';

export interface TargetRow {
  id: string;
  format: NotificationFormat;
  url: string;
  workflow: string | null;
  description: string;
  window_seconds: number;
  per_minute: number;
  created_by: string;
  created_at: Date;
}

export interface PendingNotification {
  id: string;
  event_id: string;
  type: string;
  workflow: string | null;
  item_id: string | null;
  task_id: string | null;
  payload: Record<string, unknown>;
  event_created_at: Date;
  attempts: number;
}

const targetColumns = 'id, format, url, workflow, description, window_seconds, per_minute, created_by, created_at';

export async function insertTarget(
  db: Queryable,
  t: { format: NotificationFormat; url: string; workflow: string | null; description: string; windowSeconds: number; perMinute: number; createdBy: string },
): Promise<TargetRow> {
  const rows = await db.query<TargetRow>(
    `INSERT INTO notification_targets (format, url, workflow, description, window_seconds, per_minute, created_by)
     VALUES ($1::text, $2::text, $3::text, $4::text, $5::int, $6::int, $7::text) RETURNING ${targetColumns}`,
    [t.format, t.url, t.workflow, t.description, t.windowSeconds, t.perMinute, t.createdBy],
  );
  return rows[0]!;
}

/** Targets, newest first; `workflows` null means all, else those scoped to one of them. */
export async function listTargets(db: Queryable, workflows: string[] | null): Promise<TargetRow[]> {
  return db.query<TargetRow>(
    `SELECT ${targetColumns} FROM notification_targets
     WHERE $1::text[] IS NULL OR workflow = ANY($1::text[]) ORDER BY created_at DESC, id`,
    [workflows],
  );
}

export async function getTarget(db: Queryable, id: string): Promise<TargetRow | null> {
  const rows = await db.query<TargetRow>(`SELECT ${targetColumns} FROM notification_targets WHERE id = $1::uuid`, [id]);
  return rows[0] ?? null;
}

export async function deleteTarget(db: Queryable, id: string): Promise<void> {
  await db.query('DELETE FROM notification_targets WHERE id = $1::uuid', [id]);
}

/**
 * Queues for each target the notifiable events (of `types`, urgent tasks only) of
 * transactions that have all finished since its last fan-out. Returns how many were queued.
 */
export function fanOutNotifications(db: Queryable, types: readonly string[]): Promise<number> {
  return fanOut(db, {
    subscribers: 'notification_targets', queue: 'notifications', key: 'target_id', columns: [],
    filter: `e.type = ANY($1::text[])
      -- the SQL twin of core/notifications.ts notificationKind: a task is urgent when raised or escalated
      AND (e.type <> 'task.created' OR e.payload->>'kind' = 'escalation'
           OR (jsonb_typeof(e.payload->'priority') = 'number'
               AND (e.payload->>'priority')::numeric - coalesce((e.payload->>'surgeBoost')::numeric, 0) > 0))
      AND (e.type <> 'surge.changed' OR e.payload->'notify' = 'true'::jsonb)`,
  }, [types]);
}

/**
 * Leases up to `limit` targets with a message due: their oldest pending event is older than the
 * target's window, its retry time has come, and fewer than `per_minute` messages went out in the
 * last minute.
 */
export async function leaseDueTargets(db: Queryable, owner: string, seconds: number, limit: number): Promise<TargetRow[]> {
  return db.query<TargetRow>(
    `UPDATE notification_targets tt SET sending_by = $1::text, sending_until = now() + make_interval(secs => $2::double precision)
     WHERE tt.id IN (
       SELECT t.id FROM notification_targets t
       CROSS JOIN LATERAL (
         SELECT n.next_attempt_at, e.created_at FROM notifications n JOIN events e ON e.id = n.event_id
         WHERE n.target_id = t.id AND n.status = 'pending' ORDER BY n.id LIMIT 1
       ) head
       WHERE (t.sending_until IS NULL OR t.sending_until < now())
         AND head.next_attempt_at <= now()
         AND head.created_at <= now() - make_interval(secs => t.window_seconds)
         AND (SELECT count(DISTINCT n.sent_at) FROM notifications n
              WHERE n.target_id = t.id AND n.status = 'sent' AND n.sent_at > now() - interval '1 minute') < t.per_minute
       LIMIT $3::int FOR UPDATE OF t SKIP LOCKED
     )
     RETURNING ${targetColumns.split(', ').map((c) => `tt.${c}`).join(', ')}`,
    [owner, seconds, limit],
  );
}

export async function releaseTarget(db: Queryable, id: string, owner: string): Promise<void> {
  await db.query('UPDATE notification_targets SET sending_by = NULL, sending_until = NULL WHERE id = $1::uuid AND sending_by = $2::text', [id, owner]);
}

/** The target's oldest pending notifications with their events, at most `limit`. */
export async function pendingBatch(db: Queryable, targetId: string, limit: number): Promise<PendingNotification[]> {
  return db.query<PendingNotification>(
    `SELECT n.id::text AS id, e.id::text AS event_id, e.type, e.workflow, e.item_id::text AS item_id, e.task_id::text AS task_id,
       e.payload, e.created_at AS event_created_at, n.attempts
     FROM notifications n JOIN events e ON e.id = n.event_id
     WHERE n.target_id = $1::uuid AND n.status = 'pending' ORDER BY n.id LIMIT $2::int`,
    [targetId, limit],
  );
}

/** Marks notifications sent as one message (one shared sent_at). */
export async function markSent(db: Queryable, ids: readonly string[]): Promise<void> {
  await db.query(
    `UPDATE notifications SET status = 'sent', attempts = attempts + 1, last_error = NULL, sent_at = now() WHERE id = ANY($1::bigint[])`,
    [ids],
  );
}

export async function markFailed(db: Queryable, ids: readonly string[], error: string, retryInMs: number): Promise<void> {
  await db.query(
    `UPDATE notifications SET attempts = attempts + 1, last_error = $2::text,
       next_attempt_at = now() + make_interval(secs => $3::double precision / 1000)
     WHERE id = ANY($1::bigint[])`,
    [ids, error.slice(0, 1000), retryInMs],
  );
}

export async function countPending(db: Queryable, targetId: string): Promise<number> {
  const rows = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE target_id = $1::uuid AND status = 'pending'`, [targetId]);
  return rows[0]?.n ?? 0;
}
