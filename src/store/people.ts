// Reviewers (people with a role), their workflow memberships and their sign-in sessions.
import type { Queryable } from './db.ts';

export type Role = 'reviewer' | 'lead' | 'admin';

export interface ReviewerRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  skills: string[];
  password_hash: string;
  workflows: string[];
  created_at: Date;
}

const columns = `r.id::text AS id, r.email, r.name, r.role, r.skills, r.password_hash, r.created_at,
  coalesce((SELECT array_agg(m.workflow ORDER BY m.workflow) FROM memberships m WHERE m.reviewer_id = r.id), '{}') AS workflows`;

export async function insertReviewer(
  db: Queryable,
  r: { email: string; name: string; role: Role; skills: string[]; passwordHash: string; workflows: string[] },
): Promise<ReviewerRow | null> {
  const rows = await db.query<{ id: string }>(
    `INSERT INTO reviewers (email, name, role, skills, password_hash)
     VALUES ($1::text, $2::text, $3::text, $4::text[], $5::text)
     ON CONFLICT (email) DO NOTHING RETURNING id::text AS id`,
    [r.email, r.name, r.role, r.skills, r.passwordHash],
  );
  const id = rows[0]?.id;
  if (!id) return null;
  await setMemberships(db, id, r.workflows);
  return getReviewer(db, id);
}

export async function setMemberships(db: Queryable, reviewerId: string, workflows: string[]): Promise<void> {
  await db.query('DELETE FROM memberships WHERE reviewer_id = $1::uuid', [reviewerId]);
  await db.query(
    `INSERT INTO memberships (reviewer_id, workflow) SELECT $1::uuid, w FROM unnest($2::text[]) AS w ON CONFLICT DO NOTHING`,
    [reviewerId, workflows],
  );
}

export async function getReviewer(db: Queryable, id: string): Promise<ReviewerRow | null> {
  const rows = await db.query<ReviewerRow>(
    `SELECT ${columns} FROM reviewers r WHERE r.id = $1::uuid AND r.disabled_at IS NULL`,
    [id],
  );
  return rows[0] ?? null;
}

export async function getReviewerByEmail(db: Queryable, email: string): Promise<ReviewerRow | null> {
  const rows = await db.query<ReviewerRow>(
    `SELECT ${columns} FROM reviewers r WHERE r.email = $1::text AND r.disabled_at IS NULL`,
    [email],
  );
  return rows[0] ?? null;
}

export async function listReviewers(db: Queryable): Promise<ReviewerRow[]> {
  return db.query<ReviewerRow>(`SELECT ${columns} FROM reviewers r WHERE r.disabled_at IS NULL ORDER BY r.email`);
}

export async function countReviewers(db: Queryable): Promise<number> {
  const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM reviewers');
  return rows[0]?.n ?? 0;
}

export async function insertSession(db: Queryable, tokenHash: string, reviewerId: string, ttlSeconds: number): Promise<Date> {
  const rows = await db.query<{ expires_at: Date }>(
    `INSERT INTO sessions (token_hash, reviewer_id, expires_at)
     VALUES ($1::text, $2::uuid, now() + make_interval(secs => $3::int)) RETURNING expires_at`,
    [tokenHash, reviewerId, ttlSeconds],
  );
  const row = rows[0];
  if (!row) throw new Error('session insert returned no row');
  return row.expires_at;
}

export async function getSessionReviewer(db: Queryable, tokenHash: string): Promise<ReviewerRow | null> {
  const rows = await db.query<ReviewerRow>(
    `SELECT ${columns} FROM sessions s JOIN reviewers r ON r.id = s.reviewer_id
     WHERE s.token_hash = $1::text AND s.expires_at > now() AND r.disabled_at IS NULL`,
    [tokenHash],
    'getSessionReviewer',
  );
  return rows[0] ?? null;
}

export async function deleteSession(db: Queryable, tokenHash: string): Promise<void> {
  await db.query('DELETE FROM sessions WHERE token_hash = $1::text', [tokenHash]);
}
