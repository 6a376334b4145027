// Webhook endpoints and their delivery log. Fan-out and sending are safe with any number of
// processes: fan-out locks endpoint rows with SKIP LOCKED, and sending takes a per-endpoint lease
// row-wise (no connection is held while a request is in flight).
import type { Queryable } from './db.ts';
import { fanOut } from './fanOut.ts';

export interface EndpointRow {
  id: string;
  url: string;
  workflow: string | null;
  event_types: string[];
  description: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: Date | null;
  created_by: string;
  created_at: Date;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

export interface DeliveryRow {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date;
  first_attempt_at: Date | null;
  last_attempt_at: Date | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Date;
}

export interface DueDelivery {
  id: string;
  event_id: string;
  type: string;
  workflow: string | null;
  item_id: string | null;
  task_id: string | null;
  payload: Record<string, unknown>;
  event_created_at: Date;
  attempts: number;
  /** Milliseconds since the first attempt (0 before it). */
  age_ms: number;
  due: boolean;
}

const endpointColumns = `id, url, workflow, event_types, description, secret, previous_secret, previous_secret_until, created_by, created_at`;

export async function insertEndpoint(
  db: Queryable,
  e: { url: string; workflow: string | null; eventTypes: string[]; description: string; secret: string; createdBy: string },
): Promise<EndpointRow> {
  const rows = await db.query<EndpointRow>(
    `INSERT INTO webhook_endpoints (url, workflow, event_types, description, secret, created_by)
     VALUES ($1::text, $2::text, $3::text[], $4::text, $5::text, $6::text) RETURNING ${endpointColumns}`,
    [e.url, e.workflow, e.eventTypes, e.description, e.secret, e.createdBy],
  );
  return rows[0]!;
}

/** Endpoints, newest first; `workflows` null means all, else those scoped to one of them. */
export async function listEndpoints(db: Queryable, workflows: string[] | null): Promise<EndpointRow[]> {
  return db.query<EndpointRow>(
    `SELECT ${endpointColumns} FROM webhook_endpoints
     WHERE $1::text[] IS NULL OR workflow = ANY($1::text[]) ORDER BY created_at DESC, id`,
    [workflows],
  );
}

export async function getEndpoint(db: Queryable, id: string): Promise<EndpointRow | null> {
  const rows = await db.query<EndpointRow>(`SELECT ${endpointColumns} FROM webhook_endpoints WHERE id = $1::uuid`, [id]);
  return rows[0] ?? null;
}

export async function deleteEndpoint(db: Queryable, id: string): Promise<void> {
  await db.query('DELETE FROM webhook_endpoints WHERE id = $1::uuid', [id]);
}

export async function rotateEndpointSecret(db: Queryable, id: string, secret: string, graceSeconds: number): Promise<EndpointRow | null> {
  const rows = await db.query<EndpointRow>(
    `UPDATE webhook_endpoints SET previous_secret = secret, secret = $2::text,
       previous_secret_until = now() + make_interval(secs => $3::double precision)
     WHERE id = $1::uuid RETURNING ${endpointColumns}`,
    [id, secret, graceSeconds],
  );
  return rows[0] ?? null;
}

/**
 * Fans out to each endpoint the events of transactions that have all finished since its last
 * fan-out, in (transaction, id) order, as pending deliveries. Returns how many were created.
 */
export function fanOutEvents(db: Queryable): Promise<number> {
  return fanOut(db, {
    subscribers: 'webhook_endpoints', queue: 'webhook_deliveries', key: 'endpoint_id', columns: ['event_types'],
    filter: 'cardinality(sub.event_types) = 0 OR e.type = ANY(sub.event_types)',
  });
}

/** Leases up to `limit` endpoints whose oldest pending delivery is due, for `seconds`. */
export async function leaseDueEndpoints(db: Queryable, owner: string, seconds: number, limit: number, skip: readonly string[]): Promise<EndpointRow[]> {
  return db.query<EndpointRow>(
    `UPDATE webhook_endpoints ep SET sending_by = $1::text, sending_until = now() + make_interval(secs => $2::double precision)
     WHERE ep.id IN (
       SELECT e.id FROM webhook_endpoints e
       WHERE (e.sending_until IS NULL OR e.sending_until < now()) AND NOT (e.id = ANY($4::uuid[]))
         AND (SELECT d.next_attempt_at FROM webhook_deliveries d
              WHERE d.endpoint_id = e.id AND d.status = 'pending' ORDER BY d.id LIMIT 1) <= now()
       LIMIT $3::int FOR UPDATE SKIP LOCKED
     )
     RETURNING ${endpointColumns.split(', ').map((c) => `ep.${c}`).join(', ')}`,
    [owner, seconds, limit, skip],
  );
}

export async function releaseEndpoint(db: Queryable, id: string, owner: string): Promise<void> {
  await db.query('UPDATE webhook_endpoints SET sending_by = NULL, sending_until = NULL WHERE id = $1::uuid AND sending_by = $2::text', [id, owner]);
}

/** The endpoint's oldest pending delivery with its event: the only one that may be sent (in order). */
export async function headDelivery(db: Queryable, endpointId: string): Promise<DueDelivery | null> {
  const rows = await db.query<DueDelivery>(
    `SELECT d.id::text AS id, e.id::text AS event_id, e.type, e.workflow, e.item_id, e.task_id, e.payload,
       e.created_at AS event_created_at, d.attempts,
       coalesce(extract(epoch FROM now() - d.first_attempt_at) * 1000, 0)::float8 AS age_ms,
       d.next_attempt_at <= now() AS due
     FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
     WHERE d.endpoint_id = $1::uuid AND d.status = 'pending' ORDER BY d.id LIMIT 1`,
    [endpointId],
  );
  return rows[0] ?? null;
}

export async function markDelivered(db: Queryable, id: string, status: number): Promise<void> {
  await db.query(
    `UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, last_status = $2::int, last_error = NULL,
       first_attempt_at = coalesce(first_attempt_at, now()), last_attempt_at = now(), delivered_at = now()
     WHERE id = $1::bigint`,
    [id, status],
  );
}

/** Records a failed attempt: retried after `retryInMs`, or dead when `dead`. */
export async function markFailed(db: Queryable, id: string, failure: { status: number | null; error: string; retryInMs: number; dead: boolean }): Promise<void> {
  await db.query(
    `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $2::int, last_error = $3::text,
       first_attempt_at = coalesce(first_attempt_at, now()), last_attempt_at = now(),
       status = CASE WHEN $5::boolean THEN 'dead' ELSE 'pending' END,
       next_attempt_at = now() + make_interval(secs => $4::double precision / 1000)
     WHERE id = $1::bigint`,
    [id, failure.status, failure.error.slice(0, 1000), failure.retryInMs, failure.dead],
  );
}

const deliveryColumns = `d.id::text AS id, d.endpoint_id, d.event_id::text AS event_id, e.type AS event_type, d.status, d.attempts,
  d.next_attempt_at, d.first_attempt_at, d.last_attempt_at, d.last_status, d.last_error, d.delivered_at, d.created_at`;

/** The delivery log of an endpoint, newest first. */
export async function listDeliveries(db: Queryable, endpointId: string, status: DeliveryStatus | null, limit: number): Promise<DeliveryRow[]> {
  return db.query<DeliveryRow>(
    `SELECT ${deliveryColumns} FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
     WHERE d.endpoint_id = $1::uuid AND ($2::text IS NULL OR d.status = $2::text)
     ORDER BY d.id DESC LIMIT $3::int`,
    [endpointId, status, limit],
  );
}

/**
 * Queues deliveries again (one, or all dead ones of the endpoint) as new attempts due now, with
 * a fresh maximum age. Returns the requeued rows.
 */
export async function requeueDeliveries(db: Queryable, endpointId: string, deliveryId: string | null): Promise<DeliveryRow[]> {
  return db.query<DeliveryRow>(
    `WITH up AS (
       UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(), first_attempt_at = NULL, delivered_at = NULL
       WHERE endpoint_id = $1::uuid AND (CASE WHEN $2::bigint IS NULL THEN status = 'dead' ELSE id = $2::bigint END)
       RETURNING *
     )
     SELECT ${deliveryColumns} FROM up d JOIN events e ON e.id = d.event_id ORDER BY d.id`,
    [endpointId, deliveryId],
  );
}
