// The reply library: human-approved replies per intent, the material the built-in drafter
// retrieves from. Seeded by a lead (API or workflow file), grown by every reply an agent sends.
import type { Queryable } from './db.ts';
import { newId } from './ids.ts';

export interface LibraryReplyRow {
  id: string;
  intent: string;
  text: string;
  source: 'seed' | 'approved';
  created_at: Date;
}

export async function listLibraryReplies(db: Queryable, workflow: string, limit = 10_000): Promise<LibraryReplyRow[]> {
  return db.query<LibraryReplyRow>(
    `SELECT id::text AS id, intent, text, source, created_at FROM reply_library WHERE workflow = $1::text ORDER BY created_at, id LIMIT $2::int`,
    [workflow, limit],
    'listLibraryReplies',
  );
}

/** Adds the replies not in the library yet (same intent and text); returns how many were new. */
export async function insertLibraryReplies(
  db: Queryable,
  workflow: string,
  replies: ReadonlyArray<{ intent: string; text: string; itemId?: string | null }>,
  source: 'seed' | 'approved',
): Promise<number> {
  if (replies.length === 0) return 0;
  const rows = await db.query<{ n: number }>(
    `WITH added AS (
       INSERT INTO reply_library (id, workflow, intent, text, source, item_id)
       SELECT (r->>'id')::uuid, $1::text, r->>'intent', r->>'text', $2::text, (r->>'itemId')::uuid FROM jsonb_array_elements($3::jsonb) AS r
       ON CONFLICT DO NOTHING RETURNING 1
     ) SELECT count(*)::int AS n FROM added`,
    [workflow, source, JSON.stringify(replies.map((r) => ({ id: newId(), intent: r.intent, text: r.text, itemId: r.itemId ?? null })))],
  );
  return rows[0]?.n ?? 0;
}

/** Newest change to the library, so a process's cached copy is re-read only when it changed. */
export async function libraryVersion(db: Queryable, workflow: string): Promise<string> {
  const rows = await db.query<{ v: string }>(
    `SELECT count(*)::text || ':' || coalesce(max(created_at)::text, '') AS v FROM reply_library WHERE workflow = $1::text`,
    [workflow],
    'libraryVersion',
  );
  return rows[0]?.v ?? '0:';
}
