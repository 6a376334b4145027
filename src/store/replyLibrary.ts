// The reply library of a workflow: human-approved replies per intent, the material the built-in
// drafter (model/builtin/replies.ts) retrieves from. Seeded by a lead, grown by every reply an
// agent sends; each entry's use counts feed the confidence of its next drafts.
import type { ReplyEntry } from '../model/builtin/replies.ts';
import type { Queryable } from './db.ts';

export interface LibraryRow extends ReplyEntry {
  source: 'seed' | 'approved';
}

const columns = `id, intent, text, messages, uses, sent_unchanged AS "sentUnchanged", source`;

export async function listLibrary(db: Queryable, workflow: string): Promise<LibraryRow[]> {
  return db.query<LibraryRow>(`SELECT ${columns} FROM reply_library WHERE workflow = $1::text ORDER BY created_at, id`, [workflow], 'listLibrary');
}

export async function lockLibraryEntry(tx: Queryable, workflow: string, id: string): Promise<LibraryRow | null> {
  const rows = await tx.query<LibraryRow>(`SELECT ${columns} FROM reply_library WHERE workflow = $1::text AND id = $2::text FOR UPDATE`, [workflow, id]);
  return rows[0] ?? null;
}

/** Writes the entry as given (new, or its messages grown); the use counts of an existing entry are kept. */
export async function saveLibraryEntry(tx: Queryable, workflow: string, e: ReplyEntry, source: 'seed' | 'approved'): Promise<void> {
  await tx.query(
    `INSERT INTO reply_library (workflow, id, intent, text, messages, uses, sent_unchanged, source)
     VALUES ($1::text, $2::text, $3::text, $4::text, $5::jsonb, $6::int, $7::int, $8::text)
     ON CONFLICT (workflow, id) DO UPDATE SET messages = EXCLUDED.messages, updated_at = now()`,
    [workflow, e.id, e.intent, e.text, JSON.stringify(e.messages), e.uses, e.sentUnchanged, source],
  );
}

/**
 * One more draft of the entry judged by a person, and one more sent unchanged when it was
 * (replies.ts recordDraftOutcome, in SQL so concurrent answers add up). Counted only when the
 * person kept the reply's intent: a draft of the wrong intent says nothing about the reply.
 */
export async function recordLibraryUse(tx: Queryable, workflow: string, id: string, finalIntent: string, sentUnchanged: boolean): Promise<void> {
  await tx.query(
    `UPDATE reply_library SET uses = uses + 1, sent_unchanged = sent_unchanged + $4::int, updated_at = now()
     WHERE workflow = $1::text AND id = $2::text AND intent = $3::text`,
    [workflow, id, finalIntent, sentUnchanged ? 1 : 0],
  );
}

/** Changes when the library changes, so a process re-reads its cached copy only then. */
export async function libraryVersion(db: Queryable, workflow: string): Promise<string> {
  const rows = await db.query<{ v: string }>(
    `SELECT count(*)::text || ':' || coalesce(max(updated_at)::text, '') AS v FROM reply_library WHERE workflow = $1::text`,
    [workflow],
    'libraryVersion',
  );
  return rows[0]?.v ?? '0:';
}
