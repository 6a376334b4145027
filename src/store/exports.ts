// Reading a workflow out in pages, oldest item first, for `tandem export`. Pages are keyset by
// (created_at, id); the cursor travels as text so that microseconds survive the round trip
// (a JS Date would cut them and repeat or skip rows that share a millisecond).
import type { Queryable } from './db.ts';

export interface Cursor {
  createdAt: string;
  id: string;
}

const start: Cursor = { createdAt: '-infinity', id: '00000000-0000-0000-0000-000000000000' };

export interface LabelRow {
  id: string;
  cursor_at: string;
  text: string | null;
  fields: Record<string, unknown>;
  metadata: Record<string, unknown>;
  outcome: Record<string, unknown>;
  /** The label, verdict or reply of the current decision. */
  label: string | null;
  source: string;
  decided_at: Date;
  /** Answers people gave on the item (gold checks aside), and how many match the decision. */
  answers: number;
  agreeing: number;
}

/**
 * One page of decided items with their current decision and the answers behind it. Machine
 * decisions nobody looked at are in the page (so the cursor moves on) but have answers = 0 and
 * source = 'machine': the caller leaves them out of human-verified labels.
 */
export async function readLabelPage(db: Queryable, workflow: string, after: Cursor | null, limit: number): Promise<LabelRow[]> {
  const c = after ?? start;
  return db.query<LabelRow>(
    `WITH page AS (
       SELECT id, created_at, text, fields, metadata FROM items
       WHERE workflow = $1::text AND status = 'decided' AND (created_at, id) > ($2::timestamptz, $3::uuid)
       ORDER BY created_at, id LIMIT $4::int
     )
     SELECT p.id::text AS id, p.created_at::text AS cursor_at, p.text, p.fields, p.metadata, d.outcome,
            coalesce(d.outcome->>'label', d.outcome->>'verdict', d.outcome->>'text') AS label,
            d.source, d.created_at AS decided_at, a.answers, a.agreeing
     FROM page p
     JOIN LATERAL (SELECT outcome, source, created_at FROM decisions WHERE item_id = p.id ORDER BY version DESC LIMIT 1) d ON true
     CROSS JOIN LATERAL (
       SELECT count(*)::int AS answers, count(*) FILTER (WHERE an.outcome = d.outcome)::int AS agreeing
       FROM answers an JOIN tasks t ON t.id = an.task_id WHERE an.item_id = p.id AND t.kind <> 'gold'
     ) a
     ORDER BY p.created_at, p.id`,
    [workflow, c.createdAt, c.id, limit],
  );
}

export interface AuditItemRow {
  id: string;
  cursor_at: string;
  idempotency_key: string | null;
  text: string | null;
  fields: Record<string, unknown>;
  metadata: Record<string, unknown>;
  prediction: unknown;
  route: unknown;
  status: string;
  created_at: Date;
  decided_at: Date | null;
}

/** One page of a workflow's items, every status. */
export async function readAuditItems(db: Queryable, workflow: string, after: Cursor | null, limit: number): Promise<AuditItemRow[]> {
  const c = after ?? start;
  return db.query<AuditItemRow>(
    `SELECT id::text AS id, created_at::text AS cursor_at, idempotency_key, text, fields, metadata, prediction, route, status, created_at, decided_at
     FROM items WHERE workflow = $1::text AND (created_at, id) > ($2::timestamptz, $3::uuid)
     ORDER BY created_at, id LIMIT $4::int`,
    [workflow, c.createdAt, c.id, limit],
  );
}

export interface AuditTaskRow {
  id: string;
  item_id: string;
  kind: string;
  queue: string;
  status: string;
  priority: number;
  reason: string | null;
  created_at: Date;
  due_at: Date;
  overdue_at: Date | null;
  updated_at: Date;
}

export async function readAuditTasks(db: Queryable, itemIds: string[]): Promise<AuditTaskRow[]> {
  return db.query<AuditTaskRow>(
    `SELECT id::text AS id, item_id::text AS item_id, kind, queue, status, priority, reason, created_at, due_at, overdue_at, updated_at
     FROM tasks WHERE item_id = ANY($1::uuid[]) ORDER BY created_at, id`,
    [itemIds],
  );
}

export interface AuditAnswerRow {
  id: string;
  task_id: string;
  item_id: string;
  reviewer_id: string;
  reviewer_email: string;
  reviewer_name: string;
  outcome: unknown;
  note: string | null;
  time_spent_ms: number | null;
  blind: boolean | null;
  created_at: Date;
}

export async function readAuditAnswers(db: Queryable, itemIds: string[]): Promise<AuditAnswerRow[]> {
  return db.query<AuditAnswerRow>(
    `SELECT a.id::text AS id, a.task_id::text AS task_id, a.item_id::text AS item_id, a.reviewer_id::text AS reviewer_id,
            r.email AS reviewer_email, r.name AS reviewer_name, a.outcome, a.note, a.time_spent_ms, a.blind, a.created_at
     FROM answers a JOIN reviewers r ON r.id = a.reviewer_id WHERE a.item_id = ANY($1::uuid[]) ORDER BY a.created_at, a.id`,
    [itemIds],
  );
}

export interface AuditDecisionRow {
  id: string;
  item_id: string;
  version: number;
  source: string;
  outcome: unknown;
  actor: string;
  reason: string;
  supersedes: string | null;
  created_at: Date;
}

export async function readAuditDecisions(db: Queryable, itemIds: string[]): Promise<AuditDecisionRow[]> {
  return db.query<AuditDecisionRow>(
    `SELECT id::text AS id, item_id::text AS item_id, version, source, outcome, actor, reason, supersedes::text AS supersedes, created_at
     FROM decisions WHERE item_id = ANY($1::uuid[]) ORDER BY item_id, version`,
    [itemIds],
  );
}

export interface AuditEventRow {
  id: string;
  item_id: string;
  task_id: string | null;
  type: string;
  payload: Record<string, unknown>;
  created_at: Date;
}

export async function readAuditEvents(db: Queryable, itemIds: string[]): Promise<AuditEventRow[]> {
  return db.query<AuditEventRow>(
    `SELECT id::text AS id, item_id::text AS item_id, task_id::text AS task_id, type, payload, created_at
     FROM events WHERE item_id = ANY($1::uuid[]) ORDER BY id`,
    [itemIds],
  );
}
