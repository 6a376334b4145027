// Dawid–Skene for consensus weighting, kept cheap: the model is fitted per workflow in the
// background (or when a lead asks) and stored, and a vote only reads its voters' stored matrices.
// Refitting inside every answer's transaction would make each vote cost a pass over the
// workflow's whole answer history.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { dawidSkene } from '../core/reviewerAccuracy.ts';
import type { Db } from '../store/db.ts';
import { releaseJobLease, tryTakeJobLease } from '../store/jobLeases.ts';
import { listRatings } from '../store/qualityData.ts';
import { replaceReviewerEstimates } from '../store/reviewerEstimates.ts';
import { listWorkflows } from '../store/workflows.ts';
import type { Engine } from './engine.ts';
import { startPeriodic, type Periodic } from './periodic.ts';
import type { CompiledWorkflow } from './workflows.ts';

const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

export type EstimateOutcome =
  | { workflow: string; fitted: true; ratings: number; items: number; reviewers: number; iterations: number; converged: boolean }
  | { workflow: string; fitted: false; reason: string };

/** Fits Dawid–Skene on every overlapping answer the workflow has and stores the reviewers' matrices. */
export async function fitReviewerEstimates(db: Db, wf: CompiledWorkflow): Promise<EstimateOutcome> {
  const workflow = wf.spec.name;
  if (wf.labels.length < 2) return { workflow, fitted: false, reason: 'the workflow has no label set to estimate confusion matrices over' };
  const job = `estimate:${workflow}`;
  if (!(await tryTakeJobLease(db, job, owner, 300))) return { workflow, fitted: false, reason: 'another process is fitting this workflow' };
  try {
    const rows = await listRatings(db, workflow, { from: null, to: null });
    const model = dawidSkene(
      rows.map((r) => ({ item: r.item_id, rater: r.reviewer_id, label: r.label })),
      { labels: wf.labels },
    );
    // Too few overlapping items: the last fit (if any) stays, rather than weights from noise.
    if (model.kind !== 'ok') return { workflow, fitted: false, reason: model.message };
    const total = model.reviewers.reduce((s, r) => s + r.answers, 0);
    const K = model.labels.length;
    const average = Array.from({ length: K }, (_, k) =>
      Array.from({ length: K }, (_, l) => model.reviewers.reduce((s, r) => s + r.answers * r.confusion[k]![l]!, 0) / Math.max(1, total)),
    );
    await db.transaction((tx) =>
      replaceReviewerEstimates(tx, {
        workflow,
        labels: model.labels,
        priors: model.priors,
        average,
        ratings: rows.length,
        items: model.items.length,
        iterations: model.iterations,
        converged: model.converged,
        reviewers: model.reviewers.map((r) => ({ reviewerId: r.rater, confusion: r.confusion, accuracy: r.accuracy, answers: r.answers })),
      }),
    );
    return { workflow, fitted: true, ratings: rows.length, items: model.items.length, reviewers: model.reviewers.length, iterations: model.iterations, converged: model.converged };
  } finally {
    await releaseJobLease(db, job, owner);
  }
}

/** One pass: refits every workflow whose consensus is weighted by the estimates. */
export async function estimateDue(engine: Engine): Promise<EstimateOutcome[]> {
  const out: EstimateOutcome[] = [];
  for (const row of await listWorkflows(engine.db)) {
    const spec = row.spec as { consensus?: { weighting?: string } };
    if (spec.consensus?.weighting !== 'estimated') continue;
    out.push(await fitReviewerEstimates(engine.db, await engine.workflows.get(engine.db, row.name)));
  }
  return out;
}

export function startEstimator(engine: Engine, intervalMs: number, log: (line: string) => void): Periodic {
  return startPeriodic(
    async () => {
      for (const o of await estimateDue(engine)) {
        if (o.fitted) log(`workflow ${o.workflow}: reviewer estimates refitted on ${o.items} items (${o.reviewers} reviewers)`);
      }
    },
    intervalMs,
    (err) => log(`reviewer estimation failed: ${String(err)}`),
  );
}
