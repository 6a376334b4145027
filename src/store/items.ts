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
  return (await insertRoutedItems(db, [{ item, decision, tasks, events }]))[0] ?? null;
}

export interface RoutedItem {
  item: NewItem;
  decision: NewMachineDecision | null;
  tasks: readonly NewTask[];
  events: readonly NewEvent[];
}

/**
 * insertRoutedItem for several items in one statement (engine/intakeBatch.ts): slot i is null
 * where item i's idempotency key was taken (by an earlier item, or by one before it in the set).
 * One JSON parameter, so that the prepared statement keeps one generic plan whatever the set's
 * size; the JSON values go in as text and are cast, so that a JSON null stays a JSON null.
 */
export async function insertRoutedItems(db: Queryable, entries: readonly RoutedItem[]): Promise<Array<{ id: string; created_at: Date } | null>> {
  const input = entries.map(({ item, decision, tasks, events }, i) => ({
    ord: i + 1, id: item.id, workflow: item.workflow, idempotency_key: item.idempotencyKey, request_hash: item.requestHash, text: item.text,
    fields: JSON.stringify(item.fields), metadata: JSON.stringify(item.metadata), prediction: JSON.stringify(item.prediction), route: JSON.stringify(item.route),
    status: item.status, trace_parent: item.traceParent ?? null,
    decisions: decision ? [{ ...decision, id: newId() }] : [], tasks, events,
  }));
  const rows = await db.query<{ id: string; created_at: Date; ord: number }>(
    `WITH input AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(ord int, id uuid, workflow text, idempotency_key text, request_hash text, text text,
         fields text, metadata text, prediction text, route text, status text, trace_parent text, decisions jsonb, tasks jsonb, events jsonb)
     ), item AS (
       INSERT INTO items (id, workflow, idempotency_key, request_hash, text, fields, metadata, prediction, route, status, decided_at, trace_parent)
       SELECT id, workflow, idempotency_key, request_hash, text, fields::jsonb, metadata::jsonb, prediction::jsonb, route::jsonb, status,
              CASE WHEN status = 'decided' THEN now() END, trace_parent
       FROM input ORDER BY ord
       ON CONFLICT (workflow, idempotency_key) DO NOTHING
       RETURNING id, created_at
     ), placed AS (
       SELECT input.*, item.created_at FROM item JOIN input ON input.id = item.id
     ), decision AS (
       INSERT INTO decisions (id, item_id, version, source, outcome, actor, reason)
       SELECT (d->>'id')::uuid, p.id, 1, d->>'source', d->'outcome', d->>'actor', d->>'reason'
       FROM placed p, jsonb_array_elements(p.decisions) AS d
       RETURNING item_id
     ), task AS (
       INSERT INTO tasks (id, item_id, workflow, queue, kind, status, priority, due_at, skills, reason, deferred, surge_boost)
       SELECT (t->>'id')::uuid, p.id, p.workflow, t->>'queue', t->>'kind', 'open', (t->>'priority')::int,
              now() + make_interval(secs => (t->>'dueInSeconds')::int),
              ARRAY(SELECT jsonb_array_elements_text(t->'skills')), t->>'reason',
              coalesce((t->>'deferred')::boolean, false), coalesce((t->>'surgeBoost')::int, 0)
       FROM placed p, jsonb_array_elements(p.tasks) AS t
       RETURNING id
     ), event AS (
       INSERT INTO events (type, workflow, item_id, task_id, payload)
       SELECT e->>'type', p.workflow, p.id, (e->>'taskId')::uuid, coalesce(e->'payload', '{}')
       FROM placed p, jsonb_array_elements(p.events) WITH ORDINALITY AS x(e, k)
       ORDER BY p.ord, x.k
       RETURNING id
     )
     SELECT id::text AS id, created_at, ord,
            (SELECT count(*) FROM decision) + (SELECT count(*) FROM task) + (SELECT count(*) FROM event) AS written
     FROM placed`,
    [JSON.stringify(input)],
    'insertRoutedItems',
  );
  const out: Array<{ id: string; created_at: Date } | null> = entries.map(() => null);
  for (const r of rows) out[r.ord - 1] = { id: r.id, created_at: r.created_at };
  return out;
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
