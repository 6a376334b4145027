// API keys for services. Only a hash of each key is stored; the key itself is shown once.
import type { Queryable } from './db.ts';

export interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  role: 'service' | 'admin';
  workflows: string[] | null;
  created_at: Date;
}

const columns = 'id::text AS id, name, prefix, role, workflows, created_at';

export async function insertApiKey(
  db: Queryable,
  k: { name: string; keyHash: string; prefix: string; role: ApiKeyRow['role']; workflows: string[] | null },
): Promise<ApiKeyRow> {
  const rows = await db.query<ApiKeyRow>(
    `INSERT INTO api_keys (name, key_hash, prefix, role, workflows)
     VALUES ($1::text, $2::text, $3::text, $4::text, $5::text[]) RETURNING ${columns}`,
    [k.name, k.keyHash, k.prefix, k.role, k.workflows],
  );
  const row = rows[0];
  if (!row) throw new Error('api key insert returned no row');
  return row;
}

export async function getApiKeyByHash(db: Queryable, keyHash: string): Promise<ApiKeyRow | null> {
  const rows = await db.query<ApiKeyRow>(
    `SELECT ${columns} FROM api_keys WHERE key_hash = $1::text AND revoked_at IS NULL`,
    [keyHash],
    'getApiKeyByHash',
  );
  return rows[0] ?? null;
}

export async function listApiKeys(db: Queryable): Promise<ApiKeyRow[]> {
  return db.query<ApiKeyRow>(`SELECT ${columns} FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at`);
}

export async function revokeApiKey(db: Queryable, id: string): Promise<boolean> {
  const rows = await db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1::uuid AND revoked_at IS NULL RETURNING id', [id]);
  return rows.length > 0;
}
