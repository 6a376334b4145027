import { z } from 'zod';
import { invalid } from '../../engine/errors.ts';
import { CapacityInputError } from '../../core/capacity.ts';
import { workflowCapacity } from '../../engine/capacity.ts';
import { thresholdPreview, workflowDashboard } from '../../engine/dashboard.ts';
import { isLead, visibleWorkflows } from '../../engine/principals.ts';
import { ledWorkflow, visibleWorkflow } from '../../engine/workflows.ts';
import { reviewerStats } from '../../store/dashboard.ts';
import { surgeView } from '../../engine/surge.ts';
import { forbidden } from '../../engine/errors.ts';
import { defineRoute } from '../route.ts';

const nameParam = z.object({ name: z.string().min(1).max(63).describe('Workflow name') });
const isoTime = z.iso.datetime({ offset: true });
const maxBuckets = 500;

export const insightRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/workflows/{name}/dashboard',
    tag: 'insight',
    summary: 'The lead\'s dashboard',
    description:
      'Per time bucket from `from` to `to` (default: the last 24 hours; buckets of `bucket` seconds, default about 1/48 of the range, at most 500 buckets): items in, routed to the machine or to people, automation rate, time from submit to decision for items people decided (p50, p95), answers and human-hours (from the time reviewers reported), SLA attainment (tasks settled by their due time), queue depth at the bucket\'s end. Totals over the range, with cost when the workflow sets `costs`. The estimated accuracy of final decisions with its one-sided 95 % interval against the target (the target-accuracy plan\'s, else at the policy threshold). The model\'s versions (learning curve) and the newest version\'s reliability diagram on its held-out examples.',
    params: nameParam,
    query: z
      .object({
        from: isoTime.optional().describe('ISO 8601 start (default: 24 hours before `to`)'),
        to: isoTime.optional().describe('ISO 8601 end (default: now)'),
        bucket: z.coerce.number().int().min(1).max(31 * 86400).optional().describe('Bucket length in seconds'),
      })
      .strict(),
    responses: { 200: { description: 'Time series, totals, accuracy estimate and model learning curve' } },
    async handle({ engine, principal, params, query }) {
      const wf = await visibleWorkflow(engine.db, engine.workflows, principal, params.name);
      const to = query.to ? new Date(query.to) : new Date();
      const from = query.from ? new Date(query.from) : new Date(to.getTime() - 24 * 3600 * 1000);
      const span = (to.getTime() - from.getTime()) / 1000;
      if (!(span > 0)) throw invalid('`from` must be before `to`', [{ path: 'query.from', message: 'must be before to' }]);
      const bucketSeconds = query.bucket ?? Math.max(1, Math.ceil(span / 48));
      if (span / bucketSeconds > maxBuckets) {
        throw invalid(`at most ${maxBuckets} buckets; use a longer bucket`, [{ path: 'query.bucket', message: `must be at least ${Math.ceil(span / maxBuckets)}` }]);
      }
      return { status: 200, body: await workflowDashboard(engine, wf, { from, to, bucketSeconds }) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/workflows/{name}/surge',
    tag: 'insight',
    summary: 'The surge policy\'s state',
    description:
      'The workflow\'s surge policy (`order`, `enterAt`, `exitAt`, `targetWaitSeconds`), the actions in effect now (`active`, a prefix of `order`), the floor thresholds of the labels lowered, the last load the controller measured with its forecast wait (`measured`: queue depth, arrivals per hour, human share, reviewers at work, mean handle seconds, deferred tasks, and `forecast.waitSeconds`, null when work waits and nobody is at work), and the newest `limit` changes (default 50), newest first: each a `surge.changed` event with the action, `on` or `off`, the reason, the forecast and target, and what it did to waiting tasks.',
    params: nameParam,
    query: z.object({ limit: z.coerce.number().int().min(1).max(1000).optional().describe('Changes to list (default 50)') }).strict(),
    responses: {
      200: {
        description: 'State, forecast and history',
        schema: z.looseObject({
          workflow: z.string(),
          configured: z.boolean(),
          order: z.array(z.string()),
          active: z.array(z.string()),
          changedAt: z.string().nullable(),
          targetWaitSeconds: z.number(),
          measured: z.record(z.string(), z.unknown()).nullable(),
          history: z.array(z.looseObject({ id: z.string(), at: z.string(), action: z.string(), direction: z.string(), reason: z.string() })),
        }),
      },
    },
    async handle({ engine, principal, params, query }) {
      return { status: 200, body: await surgeView(engine, principal, params.name, query.limit ?? 50) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/workflows/{name}/preview',
    tag: 'insight',
    summary: 'Preview a confidence threshold',
    description:
      'Leads and admins. What the workflow would do at `threshold`, on the evidence the target-accuracy planner uses (the model\'s held-out examples and recent live items, with people\'s answers where known): the share of items going to people and the estimated accuracy of all final decisions with its one-sided 95 % interval. Rules and the coverage guard send more items to people on top of this.',
    params: nameParam,
    query: z.object({ threshold: z.coerce.number().min(0).max(1).describe('Confidence threshold, 0 to 1') }).strict(),
    responses: { 200: { description: 'The preview' } },
    async handle({ engine, principal, params, query }) {
      const wf = await ledWorkflow(engine.db, engine.workflows, principal, params.name);
      const p = await thresholdPreview(engine, wf, query.threshold);
      return { status: 200, body: { workflow: wf.spec.name, currentThreshold: wf.spec.policy.threshold, targetAccuracy: wf.spec.targetAccuracy ?? null, ...p } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/workflows/{name}/capacity',
    tag: 'insight',
    summary: 'Reviewers needed (capacity plan)',
    description:
      'Leads and admins. How many reviewers the workflow needs to start `serviceLevel` of the items reaching people within `withinSeconds` (Erlang C; Erlang A when `patienceSeconds` is given, for items withdrawn after waiting that long on average), and how many to schedule with `shrinkage`. Inputs are measured by default over the last 7 days — arrivals per hour, the mean time people reported per answer, the share the machine decided — and each can be overridden; `sources` says which were measured, given or defaulted (60 s per answer before any answer). `plan` has the reviewers needed at once (`needed`), to schedule (`reviewers`), the expected wait, occupancy, probability of waiting, the service level achieved, abandonment under Erlang A, and a table around `needed`. `whatIf` gives the reviewers needed at other confidence thresholds, from the threshold preview\'s automation rate (rules and audits not counted). Waits that grow without bound are `null`.',
    params: nameParam,
    query: z
      .object({
        serviceLevel: z.coerce.number().gt(0).lt(1).optional().describe('Target share of items started within `withinSeconds` (default 0.8)'),
        withinSeconds: z.coerce.number().min(0).max(30 * 86400).optional().describe('Target wait in seconds (default 60)'),
        shrinkage: z.coerce.number().min(0).lt(1).optional().describe('Share of paid time reviewers are not on the queue (default 0)'),
        arrivalsPerHour: z.coerce.number().min(0).max(10_000_000).optional().describe('Items per hour, instead of the measured rate'),
        handleSeconds: z.coerce.number().gt(0).max(86400).optional().describe('Seconds per item, instead of the measured mean'),
        automationRate: z.coerce.number().min(0).max(1).optional().describe('Share the machine decides, instead of the measured share'),
        patienceSeconds: z.coerce.number().gt(0).max(30 * 86400).optional().describe('Mean time an item waits before it is withdrawn (Erlang A)'),
      })
      .strict(),
    responses: { 200: { description: 'Measured load, the plan and the what-if over thresholds' } },
    async handle({ engine, principal, params, query }) {
      const wf = await ledWorkflow(engine.db, engine.workflows, principal, params.name);
      try {
        return { status: 200, body: await workflowCapacity(engine.db, wf, query) };
      } catch (err) {
        if (err instanceof CapacityInputError) throw invalid(err.message, [{ path: 'query', message: err.message }]);
        throw err;
      }
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/reviewers/stats',
    tag: 'insight',
    summary: 'Reviewer throughput and agreement',
    description:
      'Leads and admins. Per person working the caller\'s workflows, since `from` (default: 7 days ago): answers, median seconds per answer, and how many answers agree with the item\'s current decision (an accuracy proxy until gold items measure it).',
    query: z.object({ from: isoTime.optional().describe('ISO 8601 start') }).strict(),
    responses: { 200: { description: 'Per reviewer' } },
    async handle({ engine, principal, query }) {
      if (!isLead(principal)) throw forbidden('this needs a lead or an admin');
      const from = query.from ? new Date(query.from) : new Date(Date.now() - 7 * 86400 * 1000);
      const rows = await reviewerStats(engine.db, visibleWorkflows(principal), from);
      return {
        status: 200,
        body: {
          from: from.toISOString(),
          reviewers: rows.map((r) => ({
            id: r.reviewer_id, email: r.email, name: r.name, role: r.role, skills: r.skills, workflows: r.workflows, answers: r.answers, medianSeconds: r.median_s,
            judged: r.judged, agreed: r.agreed, agreement: r.judged > 0 ? r.agreed / r.judged : null,
          })),
        },
      };
    },
  }),
];
