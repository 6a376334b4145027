// Model versions: trained, calibrated machines stored in the database, so that every process
// serves the newest one and a restart loses nothing.
import type { Queryable } from './db.ts';

export interface ModelVersionRow {
  id: string;
  workflow: string;
  version: number;
  kind: 'builtin';
  labels: string[];
  training_size: number;
  last_example: string;
  scores: Record<string, unknown>;
  calibration: Record<string, unknown>;
  training_ms: number;
  created_at: Date;
}

export interface ModelVersionWithWeights extends ModelVersionRow {
  weights: Uint8Array;
}

const columns = `id::text AS id, workflow, version, kind, labels, training_size, last_example::text AS last_example,
  scores, calibration, training_ms, created_at`;

export async function insertModelVersion(
  db: Queryable,
  v: { workflow: string; weights: Uint8Array; labels: string[]; trainingSize: number; lastExample: string; scores: unknown; calibration: unknown; trainingMs: number; heldOut: unknown },
): Promise<ModelVersionRow> {
  const rows = await db.query<ModelVersionRow>(
    `INSERT INTO model_versions (workflow, version, kind, weights, labels, training_size, last_example, scores, calibration, training_ms, held_out)
     SELECT $1::text, coalesce(max(version), 0) + 1, 'builtin', $2::bytea, $3::text[], $4::int, $5::bigint, $6::jsonb, $7::jsonb, $8::int, $9::jsonb
     FROM model_versions WHERE workflow = $1::text
     RETURNING ${columns}`,
    [v.workflow, v.weights, v.labels, v.trainingSize, v.lastExample, JSON.stringify(v.scores), JSON.stringify(v.calibration), v.trainingMs, JSON.stringify(v.heldOut)],
  );
  const row = rows[0];
  if (!row) throw new Error('model version insert returned no row');
  return row;
}

/** The newest version's number and row, without its weights (cheap to poll). */
export async function latestModelVersion(db: Queryable, workflow: string): Promise<ModelVersionRow | null> {
  const rows = await db.query<ModelVersionRow>(
    `SELECT ${columns} FROM model_versions WHERE workflow = $1::text ORDER BY version DESC LIMIT 1`,
    [workflow],
    'latestModelVersion',
  );
  return rows[0] ?? null;
}

export async function getModelWeights(db: Queryable, id: string): Promise<Uint8Array | null> {
  const rows = await db.query<{ weights: Uint8Array }>('SELECT weights FROM model_versions WHERE id = $1::uuid', [id]);
  return rows[0]?.weights ?? null;
}

export async function listModelVersions(db: Queryable, workflow: string): Promise<ModelVersionRow[]> {
  return db.query<ModelVersionRow>(`SELECT ${columns} FROM model_versions WHERE workflow = $1::text ORDER BY version`, [workflow]);
}

/** What the version said about its held-out examples when it was trained. */
export async function getHeldOutOutcomes(db: Queryable, workflow: string, version: number): Promise<Array<{ label: string; confidence: number; correct: boolean }>> {
  const rows = await db.query<{ held_out: Array<{ label: string; confidence: number; correct: boolean }> }>(
    'SELECT held_out FROM model_versions WHERE workflow = $1::text AND version = $2::int',
    [workflow, version],
  );
  return rows[0]?.held_out ?? [];
}
