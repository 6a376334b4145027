// The outbox. Every state change writes its events here in the same transaction; a decision also
// notifies `tandem_decision` so that clients long-polling in any process wake at commit.
import type { Queryable } from './db.ts';

export const decisionChannel = 'tandem_decision';

/**
 * A notification on `decisionChannel` names one decided item, or several separated by commas: a
 * set of answers sends one notification per this many items instead of one per item. Every
 * process listens and receives every notification, so one per item cost each of them a message
 * per decision, and Postgres a queue entry and a message per listener. The cap keeps a payload
 * (37 bytes an item) under Postgres's 8,000-byte limit.
 */
export const itemsPerNotification = 200;

/** The item ids a notification on `decisionChannel` names. */
export function decidedItemsOf(payload: string): string[] {
  return payload.split(',');
}

export interface NewEvent {
  type: string;
  workflow: string;
  itemId?: string | null;
  taskId?: string | null;
  payload?: Record<string, unknown>;
}

export interface EventRow {
  id: string;
  type: string;
  workflow: string | null;
  item_id: string | null;
  task_id: string | null;
  payload: Record<string, unknown>;
  created_at: Date;
}

export async function insertEvents(db: Queryable, events: readonly NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db.query(
    `INSERT INTO events (type, workflow, item_id, task_id, payload)
     SELECT e->>'type', e->>'workflow', (e->>'itemId')::uuid, (e->>'taskId')::uuid, coalesce(e->'payload', '{}')
     FROM jsonb_array_elements($1::jsonb) AS e`,
    [JSON.stringify(events)],
    'insertEvents',
  );
}

export async function listItemEvents(db: Queryable, itemId: string): Promise<EventRow[]> {
  return db.query<EventRow>(
    `SELECT id::text AS id, type, workflow, item_id, task_id, payload, created_at
     FROM events WHERE item_id = $1::uuid ORDER BY events.id`,
    [itemId],
  );
}
