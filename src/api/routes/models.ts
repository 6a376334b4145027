import { z } from 'zod';
import { requireLead } from '../../engine/principals.ts';
import { visibleWorkflow } from '../../engine/workflows.ts';
import { retrainWorkflow } from '../../engine/retrain.ts';
import { latestModelVersion, listModelVersions, type ModelVersionRow } from '../../store/modelVersions.ts';
import { workflowCounts } from '../../store/stats.ts';
import { auditOutcomesSince, latestTuning } from '../../store/tunings.ts';
import { defineRoute } from '../route.ts';

const nameParam = z.object({ name: z.string().min(1).max(63).describe('Workflow name') });

function versionView(v: ModelVersionRow) {
  return {
    version: v.version,
    kind: v.kind,
    labels: v.labels,
    trainingSize: v.training_size,
    scores: v.scores,
    calibration: v.calibration,
    trainingMs: v.training_ms,
    createdAt: v.created_at.toISOString(),
  };
}

export const modelRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/workflows/{name}/model/versions',
    tag: 'models',
    summary: 'List model versions',
    description: 'The built-in model\'s versions, oldest first, with training-set size, held-out accuracy, log loss and expected calibration error (ece).',
    params: nameParam,
    responses: { 200: { description: 'The versions' } },
    async handle({ engine, principal, params }) {
      await visibleWorkflow(engine.db, engine.workflows, principal, params.name);
      return { status: 200, body: { versions: (await listModelVersions(engine.db, params.name)).map(versionView) } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/workflows/{name}/model/retrain',
    tag: 'models',
    summary: 'Retrain the model now',
    description: 'Leads and admins. Trains a new version of the built-in model on every labelled example now (in a worker thread), instead of waiting for retrainEvery new labels. 201 with the version, or 200 with the reason nothing was trained.',
    params: nameParam,
    responses: { 201: { description: 'The new version' }, 200: { description: 'Not trained, and why' } },
    async handle({ engine, principal, params }) {
      requireLead(principal, params.name);
      const r = await retrainWorkflow(engine, params.name, true);
      return r.trained ? { status: 201, body: { trained: true, version: versionView(r.version) } } : { status: 200, body: { trained: false, reason: r.reason } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/workflows/{name}/stats',
    tag: 'models',
    summary: 'Workflow statistics',
    description: 'Items submitted since `from` (default: the last 24 hours): how they were routed, how many are decided, and by whom (the current decision).',
    params: nameParam,
    query: z.object({ from: z.iso.datetime({ offset: true }).optional().describe('ISO 8601 start of the period') }).strict(),
    responses: { 200: { description: 'Counts' } },
    async handle({ engine, principal, params, query }) {
      await visibleWorkflow(engine.db, engine.workflows, principal, params.name);
      const from = query.from ? new Date(query.from) : new Date(Date.now() - 24 * 3600 * 1000);
      const c = await workflowCounts(engine.db, params.name, from);
      return {
        status: 200,
        body: {
          workflow: params.name,
          from: from.toISOString(),
          items: c.items,
          routes: { auto: c.auto, review: c.review, escalate: c.escalate, audited: c.audited },
          decided: { total: c.decided, byMachine: c.by_machine, byPeople: c.by_people },
          automationRate: c.items > 0 ? c.auto / c.items : null,
        },
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/workflows/{name}/quality',
    tag: 'models',
    summary: 'Target accuracy plan and estimate',
    description:
      'For a workflow with targetAccuracy: the thresholds Tandem chose, the share of items going to people, the estimated accuracy of all final decisions with its one-sided 95 % interval, whether the target is met and, if not, why (and how many people per item would meet it). Also the model version, its calibration error, and audits since the plan.',
    params: nameParam,
    responses: { 200: { description: 'The plan and estimate' } },
    async handle({ engine, principal, params }) {
      const wf = await visibleWorkflow(engine.db, engine.workflows, principal, params.name);
      const tuning = await latestTuning(engine.db, params.name);
      const model = await latestModelVersion(engine.db, params.name);
      const audits = tuning ? await auditOutcomesSince(engine.db, params.name, tuning.created_at) : null;
      return {
        status: 200,
        body: {
          workflow: params.name,
          targetAccuracy: wf.spec.targetAccuracy ?? null,
          plan: tuning?.plan ?? null,
          tunedAt: tuning?.created_at.toISOString() ?? null,
          tunedBecause: tuning?.reason ?? null,
          model: model ? { version: model.version, trainingSize: model.training_size, scores: model.scores, calibration: model.calibration } : null,
          auditsSincePlan: audits,
        },
      };
    },
  }),
];
