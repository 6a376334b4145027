// Versioned plain-SQL migrations, applied in order at start-up, each in its own transaction.
// An advisory lock keeps two processes starting together from applying the same one twice.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.ts';

const migrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url));
const migrationLock = 7_201_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir = migrationsDir): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number.parseInt(f, 10), name: f, sql: readFileSync(`${dir}/${f}`, 'utf8') }));
}

/** Applies the migrations not yet applied; returns the names it applied. */
export async function migrate(db: Db): Promise<string[]> {
  // Up to date is found out by reading only, so that a process can start, and `tandem export`
  // run, on a database that is read-only (a standby, a replica) once its schema is current.
  const [{ exists } = { exists: false }] = await db.query<{ exists: boolean }>(`SELECT to_regclass('schema_migrations') IS NOT NULL AS exists`);
  const before = exists ? new Set((await db.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version)) : new Set<number>();
  const pending = loadMigrations().filter((m) => !before.has(m.version));
  if (pending.length === 0) return [];
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const applied: string[] = [];
  for (const m of pending) {
    const done = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [migrationLock]);
      const seen = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1::int', [m.version]);
      if (seen.length > 0) return false;
      for (const statement of splitStatements(m.sql)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1::int, $2::text)', [m.version, m.name]);
      return true;
    });
    if (done) applied.push(m.name);
  }
  return applied;
}

/** Splits a migration into statements at top-level semicolons, keeping $$-quoted bodies whole. */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let current = '';
  let inDollar = false;
  for (const line of sql.split('\n')) {
    const trimmed = line.trim();
    if (!inDollar && (trimmed.startsWith('--') || trimmed === '')) continue;
    current += line + '\n';
    const dollars = line.split('$$').length - 1;
    if (dollars % 2 === 1) inDollar = !inDollar;
    if (!inDollar && trimmed.endsWith(';')) {
      out.push(current.trim());
      current = '';
    }
  }
  if (current.trim()) out.push(current.trim());
  return out;
}
