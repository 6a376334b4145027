// The feedback loop's last step: when enough new human labels have come in, train a new model
// version in a worker thread and store it; every process picks it up from the database. One
// process trains a workflow at a time (a job lease), and the HTTP server never waits for it.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { trainInWorker } from '../model/builtin/trainer.ts';
import type { Db } from '../store/db.ts';
import { insertEvents } from '../store/events.ts';
import { countExamplesSince, listExamples } from '../store/examples.ts';
import { releaseJobLease, tryTakeJobLease } from '../store/jobLeases.ts';
import { insertModelVersion, latestModelVersion, type ModelVersionRow } from '../store/modelVersions.ts';
import { listWorkflows } from '../store/workflows.ts';
import type { Engine } from './engine.ts';
import { invalid } from './errors.ts';
import { retuneIfNeeded, tuneWorkflow } from './tuning.ts';
import { startPeriodic, type Periodic } from './periodic.ts';

const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

export type RetrainOutcome =
  | { workflow: string; trained: true; version: ModelVersionRow }
  | { workflow: string; trained: false; reason: string };

/** Trains the workflow's model now if `force` or if enough new labels came in since the last version. */
export async function retrainWorkflow(engine: Engine, workflow: string, force: boolean): Promise<RetrainOutcome> {
  const wf = await engine.workflows.get(engine.db, workflow);
  const spec = wf.spec.model;
  if (spec.type !== 'builtin') throw invalid(`workflow "${workflow}" has no built-in model to train`, [{ path: 'model.type', message: 'is not "builtin"' }]);
  const latest = await latestModelVersion(engine.db, workflow);
  const since = await countExamplesSince(engine.db, workflow, latest?.last_example ?? '0');
  if (since.count === 0 && latest) return { workflow, trained: false, reason: 'no new labels since the last version' };
  const total = latest ? null : since.count;
  if (total !== null && total < Math.max(2, force ? 2 : spec.minExamples)) {
    return { workflow, trained: false, reason: `${total} labelled examples; training needs ${force ? 2 : spec.minExamples}` };
  }
  if (!force && latest && since.count < spec.retrainEvery) {
    return { workflow, trained: false, reason: `${since.count} new labels of the ${spec.retrainEvery} that trigger retraining` };
  }
  const job = `retrain:${workflow}`;
  if (!(await tryTakeJobLease(engine.db, job, owner, 600))) return { workflow, trained: false, reason: 'another process is training this workflow' };
  try {
    const examples = await listExamples(engine.db, workflow);
    const labelsSeen = new Set(examples.map((e) => e.label));
    if (labelsSeen.size < 2) return { workflow, trained: false, reason: 'the labelled examples name fewer than two labels' };
    const newest = examples.reduce((m, e) => (BigInt(e.id) > BigInt(m) ? e.id : m), '0');
    const trained = await trainInWorker(examples.map((e) => ({ text: e.text, label: e.label })));
    const version = await engine.db.transaction(async (tx) => {
      const v = await insertModelVersion(tx, {
        workflow,
        weights: trained.bytes,
        labels: trained.labels,
        trainingSize: examples.length,
        lastExample: newest,
        scores: trained.heldOut ?? {},
        calibration: { kind: 'temperature', t: trained.temperature, fittedOn: 'held-out human labels' },
        trainingMs: trained.trainingMs,
        heldOut: trained.heldOutOutcomes,
      });
      await insertEvents(tx, [{ type: 'model.trained', workflow, payload: { version: v.version, trainingSize: v.training_size, scores: v.scores, trainingMs: v.training_ms } }]);
      return v;
    });
    engine.models.invalidate(workflow);
    // A new model is a new machine: its thresholds are planned afresh from its held-out scores.
    await tuneWorkflow(engine, workflow, `model v${version.version} trained`);
    return { workflow, trained: true, version };
  } finally {
    await releaseJobLease(engine.db, job, owner);
  }
}

/** One pass over the workflows: trains the built-in models that are due, re-plans targets that need it. */
export async function retrainDue(engine: Engine): Promise<RetrainOutcome[]> {
  const out: RetrainOutcome[] = [];
  for (const row of await listWorkflows(engine.db)) {
    const spec = row.spec as { model?: { type?: string }; targetAccuracy?: number };
    if (spec.model?.type === 'builtin') out.push(await retrainWorkflow(engine, row.name, false));
    if (spec.targetAccuracy !== undefined) await retuneIfNeeded(engine, row.name);
  }
  return out;
}

export type Retrainer = Periodic;

export function startRetrainer(engine: Engine, intervalMs: number, log: (line: string) => void): Retrainer {
  return startPeriodic(
    async () => {
      for (const o of await retrainDue(engine)) {
        if (o.trained) log(`model ${o.workflow} v${o.version.version} trained on ${o.version.training_size} examples in ${o.version.training_ms} ms`);
      }
    },
    intervalMs,
    (err) => log(`retraining failed: ${String(err)}`),
  );
}
