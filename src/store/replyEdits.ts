// How much a person changed each draft before it went to the customer (draft acceptance).
import type { Queryable } from './db.ts';

export type ReplyAction = 'sent' | 'edited' | 'rewritten' | 'written';

export interface NewReplyEdit {
  itemId: string;
  workflow: string;
  intent: string | null;
  draft: string | null;
  final: string;
  action: ReplyAction;
  distance: number | null;
  rate: number | null;
  reviewerId: string;
}

export async function insertReplyEdit(tx: Queryable, e: NewReplyEdit): Promise<void> {
  await tx.query(
    `INSERT INTO reply_edits (item_id, workflow, intent, draft, final, action, distance, rate, reviewer_id)
     VALUES ($1::uuid, $2::text, $3::text, $4::text, $5::text, $6::text, $7::int, $8::float8, $9::uuid)
     ON CONFLICT (item_id) DO UPDATE SET final = EXCLUDED.final, action = EXCLUDED.action, distance = EXCLUDED.distance,
       rate = EXCLUDED.rate, reviewer_id = EXCLUDED.reviewer_id, intent = EXCLUDED.intent, created_at = now()`,
    [e.itemId, e.workflow, e.intent, e.draft, e.final, e.action, e.distance, e.rate, e.reviewerId],
  );
}

export interface ReplyEditRow {
  item_id: string;
  intent: string | null;
  action: ReplyAction;
  distance: number | null;
  rate: number | null;
  created_at: Date;
}

export async function listReplyEdits(db: Queryable, workflow: string, since: Date): Promise<ReplyEditRow[]> {
  return db.query<ReplyEditRow>(
    `SELECT item_id::text AS item_id, intent, action, distance, rate, created_at FROM reply_edits
     WHERE workflow = $1::text AND created_at >= $2::timestamptz ORDER BY created_at`,
    [workflow, since],
  );
}
