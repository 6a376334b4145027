// The workflows table: one row per configured process, its spec as JSON, a version bumped on change.
import type { Queryable } from './db.ts';

export interface WorkflowRow {
  name: string;
  spec: unknown;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export async function insertWorkflow(db: Queryable, name: string, spec: unknown): Promise<WorkflowRow | null> {
  const rows = await db.query<WorkflowRow>(
    `INSERT INTO workflows (name, spec) VALUES ($1::text, $2::jsonb)
     ON CONFLICT (name) DO NOTHING
     RETURNING name, spec, version, created_at, updated_at`,
    [name, JSON.stringify(spec)],
  );
  return rows[0] ?? null;
}

export async function updateWorkflow(db: Queryable, name: string, spec: unknown): Promise<WorkflowRow | null> {
  const rows = await db.query<WorkflowRow>(
    `UPDATE workflows SET spec = $2::jsonb, version = version + 1, updated_at = now()
     WHERE name = $1::text
     RETURNING name, spec, version, created_at, updated_at`,
    [name, JSON.stringify(spec)],
  );
  return rows[0] ?? null;
}

export async function getWorkflow(db: Queryable, name: string): Promise<WorkflowRow | null> {
  const rows = await db.query<WorkflowRow>(
    'SELECT name, spec, version, created_at, updated_at FROM workflows WHERE name = $1::text',
    [name],
    'getWorkflow',
  );
  return rows[0] ?? null;
}

export async function listWorkflows(db: Queryable): Promise<WorkflowRow[]> {
  return db.query<WorkflowRow>(
    'SELECT name, spec, version, created_at, updated_at FROM workflows ORDER BY name',
  );
}

/** Appends a label to a label workflow's spec; the new version, or null if the label was there. */
export async function addWorkflowLabel(db: Queryable, name: string, label: string): Promise<number | null> {
  const rows = await db.query<{ version: number }>(
    `UPDATE workflows SET spec = jsonb_set(spec, '{labels}', coalesce(spec->'labels', '[]'::jsonb) || to_jsonb($2::text)),
            version = version + 1, updated_at = now()
     WHERE name = $1::text AND NOT coalesce(spec->'labels', '[]'::jsonb) ? $2::text
     RETURNING version`,
    [name, label],
  );
  return rows[0]?.version ?? null;
}

/** The names that are not workflows, in the order given (one query for the lot). */
export async function missingWorkflows(db: Queryable, names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const rows = await db.query<{ name: string }>('SELECT name FROM workflows WHERE name = ANY($1::text[])', [[...names]]);
  const known = new Set(rows.map((r) => r.name));
  return names.filter((n) => !known.has(n));
}
