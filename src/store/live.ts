// What the live feed reads from the outbox: how far it goes, and the urgent work added since.
import type { Queryable } from './db.ts';

export async function latestEventId(db: Queryable): Promise<string> {
  const rows = await db.query<{ id: string | null }>('SELECT max(id)::text AS id FROM events', [], 'latestEventId');
  return rows[0]?.id ?? '0';
}

export interface UrgentTask {
  event_id: string;
  workflow: string;
  item_id: string;
  task_id: string;
  kind: string;
  queue: string;
  priority: number;
  created_at: Date;
}

/** Tasks created after event `after` with a raised priority, and every escalation. */
export async function urgentTasksSince(db: Queryable, after: string, limit = 100): Promise<UrgentTask[]> {
  return db.query<UrgentTask>(
    `SELECT id::text AS event_id, workflow, item_id::text AS item_id, task_id::text AS task_id,
            payload->>'kind' AS kind, payload->>'queue' AS queue, coalesce((payload->>'priority')::int, 0) AS priority, created_at
     FROM events
     WHERE id > $1::bigint AND type = 'task.created'
       AND (payload->>'kind' = 'escalation' OR coalesce((payload->>'priority')::int, 0) > 0)
     ORDER BY id LIMIT $2::int`,
    [after, limit],
  );
}

export interface HandoffEvent {
  workflow: string;
  item_id: string;
  conversation_id: string;
  route: string;
  reasons: string[];
  wait_seconds: number | null;
  created_at: Date;
}

/** Conversations handed to a person after event `after` (customers waiting live). */
export async function handoffsSince(db: Queryable, after: string, limit = 100): Promise<HandoffEvent[]> {
  return db.query<HandoffEvent>(
    `SELECT workflow, item_id::text AS item_id, payload->>'conversationId' AS conversation_id, payload->>'route' AS route,
            ARRAY(SELECT jsonb_array_elements_text(coalesce(payload->'reasons', '[]'))) AS reasons,
            (payload->>'waitSeconds')::int AS wait_seconds, created_at
     FROM events WHERE id > $1::bigint AND type = 'conversation.handed_off' ORDER BY id LIMIT $2::int`,
    [after, limit],
  );
}
