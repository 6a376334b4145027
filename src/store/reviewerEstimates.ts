// Reviewers' confusion matrices as Dawid–Skene last estimated them, per workflow: written whole by
// the background fit, read for the voters of one item when a consensus is weighted by them.
import type { Queryable } from './db.ts';

export interface EstimateFit {
  workflow: string;
  labels: string[];
  priors: number[];
  average: number[][];
  ratings: number;
  items: number;
  iterations: number;
  converged: boolean;
  reviewers: ReadonlyArray<{ reviewerId: string; confusion: number[][]; accuracy: number; answers: number }>;
}

/** Replaces the workflow's estimates with this fit; run it in a transaction. */
export async function replaceReviewerEstimates(db: Queryable, fit: EstimateFit): Promise<void> {
  await db.query('DELETE FROM reviewer_estimate_fits WHERE workflow = $1::text', [fit.workflow]);
  await db.query(
    `INSERT INTO reviewer_estimate_fits (workflow, labels, priors, average, ratings, items, iterations, converged)
     VALUES ($1::text, $2::jsonb, $3::jsonb, $4::jsonb, $5::int, $6::int, $7::int, $8::boolean)`,
    [fit.workflow, JSON.stringify(fit.labels), JSON.stringify(fit.priors), JSON.stringify(fit.average), fit.ratings, fit.items, fit.iterations, fit.converged],
  );
  await db.query(
    `INSERT INTO reviewer_estimates (workflow, reviewer_id, confusion, accuracy, answers)
     SELECT $1::text, r.reviewer_id, r.confusion, r.accuracy, r.answers
     FROM jsonb_to_recordset($2::jsonb) AS r(reviewer_id uuid, confusion jsonb, accuracy double precision, answers int)`,
    [fit.workflow, JSON.stringify(fit.reviewers.map((r) => ({ reviewer_id: r.reviewerId, confusion: r.confusion, accuracy: r.accuracy, answers: r.answers })))],
  );
}

export async function deleteReviewerEstimates(db: Queryable, workflow: string): Promise<void> {
  await db.query('DELETE FROM reviewer_estimate_fits WHERE workflow = $1::text', [workflow]);
}

export interface VoterEstimates {
  labels: string[];
  average: number[][];
  fittedAt: Date;
  /** Confusion matrices of those voters who have one. */
  confusion: Map<string, number[][]>;
}

/** The workflow's last fit and the matrices of these reviewers (one query); null before any fit. */
export async function estimatesOf(db: Queryable, workflow: string, reviewerIds: readonly string[]): Promise<VoterEstimates | null> {
  const rows = await db.query<{ labels: string[]; average: number[][]; fitted_at: Date; reviewer_id: string | null; confusion: number[][] | null }>(
    `SELECT f.labels, f.average, f.fitted_at, e.reviewer_id::text AS reviewer_id, e.confusion
     FROM reviewer_estimate_fits f
     LEFT JOIN reviewer_estimates e ON e.workflow = f.workflow AND e.reviewer_id = ANY($2::uuid[])
     WHERE f.workflow = $1::text`,
    [workflow, [...reviewerIds]],
  );
  const first = rows[0];
  if (!first) return null;
  const confusion = new Map<string, number[][]>();
  for (const r of rows) if (r.reviewer_id && r.confusion) confusion.set(r.reviewer_id, r.confusion);
  return { labels: first.labels, average: first.average, fittedAt: first.fitted_at, confusion };
}

export interface EstimateFitRow {
  workflow: string;
  labels: string[];
  ratings: number;
  items: number;
  iterations: number;
  converged: boolean;
  fitted_at: Date;
}

export async function latestEstimateFit(db: Queryable, workflow: string): Promise<EstimateFitRow | null> {
  const rows = await db.query<EstimateFitRow>(
    'SELECT workflow, labels, ratings, items, iterations, converged, fitted_at FROM reviewer_estimate_fits WHERE workflow = $1::text',
    [workflow],
  );
  return rows[0] ?? null;
}
