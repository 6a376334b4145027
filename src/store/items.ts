// The items table, and the submit path: an item, its machine decision or its tasks, and its
// events are written by one statement, so a submit is all-or-nothing without a transaction's
// extra round trips.
import type { Queryable } from './db.ts';
import type { NewEvent } from './events.ts';
import { newId } from './ids.ts';

export interface NewItem {
  id: string;
  workflow: string;
  idempotencyKey: string | null;
  requestHash: string;
  text: string | null;
  fields: Record<string, unknown>;
  metadata: Record<string, unknown>;
  prediction: unknown;
  route: unknown;
  status: 'pending' | 'decided';
  /** The submit span's W3C traceparent when tracing is on (see engine/tracing.ts). */
  traceParent?: string | null | undefined;
}

export interface NewMachineDecision {
  source: 'machine';
  outcome: unknown;
  actor: string;
  reason: string;
}

export interface NewTask {
  id: string;
  queue: string;
  kind: 'review' | 'audit' | 'vote' | 'escalation' | 'gold';
  priority: number;
  dueInSeconds: number;
  skills: string[];
  reason: string;
  /** Held back by a surge's `defer` step (core/surge.ts isDeferred): not claimed until released. */
  deferred?: boolean;
  /** The part of `priority` a surge's `prioritize` step added, taken off when it is reverted. */
  surgeBoost?: number;
}

export interface ItemRow {
  id: string;
  workflow: string;
  idempotency_key: string | null;
  request_hash: string;
  text: string | null;
  fields: Record<string, unknown>;
  metadata: Record<string, unknown>;
  prediction: unknown;
  route: unknown;
  status: 'pending' | 'decided';
  created_at: Date;
  decided_at: Date | null;
}

const itemColumns = `id::text AS id, workflow, idempotency_key, request_hash, text, fields, metadata,
  prediction, route, status, created_at, decided_at`;

/** The item's columns under `i_` names, for a statement that returns a task and its item in one row. */
export const prefixedItemColumns = (alias: string) =>
  `${alias}.id::text AS i_id, ${alias}.workflow AS i_workflow, ${alias}.idempotency_key AS i_idempotency_key,
  ${alias}.request_hash AS i_request_hash, ${alias}.text AS i_text, ${alias}.fields AS i_fields, ${alias}.metadata AS i_metadata,
  ${alias}.prediction AS i_prediction, ${alias}.route AS i_route, ${alias}.status AS i_status, ${alias}.created_at AS i_created_at,
  ${alias}.decided_at AS i_decided_at`;

export type PrefixedItem = { [K in keyof ItemRow as `i_${K}`]: ItemRow[K] };

/** Splits a row of prefixedItemColumns and other columns into the item and the rest. */
export function splitItem<T extends PrefixedItem>(row: T): { item: ItemRow; rest: Omit<T, keyof PrefixedItem> } {
  const { i_id, i_workflow, i_idempotency_key, i_request_hash, i_text, i_fields, i_metadata, i_prediction, i_route, i_status, i_created_at, i_decided_at, ...rest } = row;
  return {
    item: {
      id: i_id, workflow: i_workflow, idempotency_key: i_idempotency_key, request_hash: i_request_hash, text: i_text, fields: i_fields, metadata: i_metadata,
      prediction: i_prediction, route: i_route, status: i_status, created_at: i_created_at, decided_at: i_decided_at,
    },
    rest,
  };
}

/**
 * Inserts the item with everything the route made of it; null when the idempotency key was taken.
 * No NOTIFY for a machine decision: it commits with the item itself, so no client can be waiting
 * on the item yet, and a NOTIFY takes a cluster-wide lock until commit that serialises all such
 * commits (bench load: about 730 auto items/s with it, 1100 to 1300 without; see bench/README.md).
 */
export async function insertRoutedItem(
  db: Queryable,
  item: NewItem,
  decision: NewMachineDecision | null,
  tasks: readonly NewTask[],
  events: readonly NewEvent[],
): Promise<{ id: string; created_at: Date } | null> {
  const rows = await db.query<{ id: string; created_at: Date }>(
    `WITH item AS (
       INSERT INTO items (id, workflow, idempotency_key, request_hash, text, fields, metadata, prediction, route, status, decided_at, trace_parent)
       VALUES ($1::uuid, $2::text, $3::text, $4::text, $5::text, $6::jsonb, $7::jsonb, $8::jsonb, $9::jsonb, $10::text,
               CASE WHEN $10::text = 'decided' THEN now() END, $14::text)
       ON CONFLICT (workflow, idempotency_key) DO NOTHING
       RETURNING id, created_at
     ), decision AS (
       INSERT INTO decisions (id, item_id, version, source, outcome, actor, reason)
       SELECT (d->>'id')::uuid, item.id, 1, d->>'source', d->'outcome', d->>'actor', d->>'reason'
       FROM item, jsonb_array_elements($11::jsonb) AS d
       RETURNING item_id
     ), task AS (
       INSERT INTO tasks (id, item_id, workflow, queue, kind, status, priority, due_at, skills, reason, deferred, surge_boost)
       SELECT (t->>'id')::uuid, item.id, $2::text, t->>'queue', t->>'kind', 'open', (t->>'priority')::int,
              now() + make_interval(secs => (t->>'dueInSeconds')::int),
              ARRAY(SELECT jsonb_array_elements_text(t->'skills')), t->>'reason',
              coalesce((t->>'deferred')::boolean, false), coalesce((t->>'surgeBoost')::int, 0)
       FROM item, jsonb_array_elements($12::jsonb) AS t
       RETURNING id
     ), event AS (
       INSERT INTO events (type, workflow, item_id, task_id, payload)
       SELECT e->>'type', $2::text, item.id, (e->>'taskId')::uuid, coalesce(e->'payload', '{}')
       FROM item, jsonb_array_elements($13::jsonb) AS e
       RETURNING id
     )
     SELECT item.id::text AS id, item.created_at,
            (SELECT count(*) FROM decision) + (SELECT count(*) FROM task) + (SELECT count(*) FROM event) AS written
     FROM item`,
    [
      item.id,
      item.workflow,
      item.idempotencyKey,
      item.requestHash,
      item.text,
      JSON.stringify(item.fields),
      JSON.stringify(item.metadata),
      JSON.stringify(item.prediction),
      JSON.stringify(item.route),
      item.status,
      JSON.stringify(decision ? [{ ...decision, id: newId() }] : []),
      JSON.stringify(tasks),
      JSON.stringify(events),
      item.traceParent ?? null,
    ],
    'insertRoutedItem',
  );
  const row = rows[0];
  return row ? { id: row.id, created_at: row.created_at } : null;
}

export async function getItem(db: Queryable, id: string): Promise<ItemRow | null> {
  const rows = await db.query<ItemRow>(`SELECT ${itemColumns} FROM items WHERE id = $1::uuid`, [id], 'getItem');
  return rows[0] ?? null;
}

export async function getItemByKey(db: Queryable, workflow: string, idempotencyKey: string): Promise<ItemRow | null> {
  const rows = await db.query<ItemRow>(
    `SELECT ${itemColumns} FROM items WHERE workflow = $1::text AND idempotency_key = $2::text`,
    [workflow, idempotencyKey],
    'getItemByKey',
  );
  return rows[0] ?? null;
}

/** The submit span's traceparent, or null (tracing was off, or no such item). */
export async function getTraceParent(db: Queryable, id: string): Promise<string | null> {
  const rows = await db.query<{ trace_parent: string | null }>(`SELECT trace_parent FROM items WHERE id = $1::uuid`, [id], 'getTraceParent');
  return rows[0]?.trace_parent ?? null;
}

/** Locks the item for the rest of the transaction, so that decisions on it are made one at a time. */
export async function lockItem(db: Queryable, id: string): Promise<ItemRow | null> {
  const rows = await db.query<ItemRow>(`SELECT ${itemColumns} FROM items WHERE id = $1::uuid FOR UPDATE`, [id], 'lockItem');
  return rows[0] ?? null;
}

/** Items of the workflow whose idempotency key starts with `prefix` (the demo's progress). */
export async function countItemsWithKeyPrefix(db: Queryable, workflow: string, prefix: string): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM items WHERE workflow = $1::text AND starts_with(idempotency_key, $2::text)`,
    [workflow, prefix],
  );
  return rows[0]?.n ?? 0;
}
