// The quality of the people, per workflow, for leads: agreement, reviewer accuracy, bias audit,
// automation bias. Statistics on too little data come back as {"kind":"insufficient","message":
// "not enough data (n = …)"} in place of a number.
import { z } from 'zod';
import { invalid } from '../../engine/errors.ts';
import { agreementStats, automationBiasCheck, biasAudit, reviewerAccuracyStats, type Period } from '../../engine/quality.ts';
import { fitReviewerEstimates } from '../../engine/reviewerEstimates.ts';
import { ledWorkflow } from '../../engine/workflows.ts';
import { defineRoute } from '../route.ts';

const nameParam = z.object({ name: z.string().min(1).max(63).describe('Workflow name') });
const when = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);
const periodQuery = {
  from: when.optional().describe('Start of the period (ISO 8601 date or date-time), inclusive'),
  to: when.optional().describe('End of the period (ISO 8601 date or date-time), exclusive'),
};

export function toPeriod(q: { from?: string | undefined; to?: string | undefined }): Period {
  const p = { from: q.from ? new Date(q.from) : null, to: q.to ? new Date(q.to) : null };
  if (p.from && p.to && p.from >= p.to) throw invalid('the period is empty: "from" must be before "to"', [{ path: 'query.to', message: 'must be after from' }]);
  return p;
}

const measuredNote = 'Each statistic is {"kind":"ok", …} or, on too little data, {"kind":"insufficient","message":"not enough data (n = …)"} (or "degenerate" with why).';

export const qualityRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/workflows/{name}/quality/agreement',
    tag: 'quality',
    summary: 'Agreement between reviewers',
    description: `Leads only. Percent agreement, Fleiss' kappa and Krippendorff's alpha (nominal) overall, per label and Cohen's kappa per reviewer pair, with 95 % bootstrap intervals over items; the label pairs people split on most, with example item ids. ${measuredNote}`,
    params: nameParam,
    query: z.object(periodQuery).strict(),
    responses: { 200: { description: 'Agreement statistics' } },
    async handle({ engine, principal, params, query }) {
      const wf = await ledWorkflow(engine.db, engine.workflows, principal, params.name);
      return { status: 200, body: await agreementStats(engine.db, wf, toPeriod(query)) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/workflows/{name}/quality/reviewers',
    tag: 'quality',
    summary: 'Reviewer accuracy',
    description: `Leads only. Per reviewer: accuracy on gold (all stages, and live gold alone) with Wilson intervals, their training stage; and, without gold, each reviewer's confusion matrix and accuracy estimated by Dawid–Skene from overlapping answers. ${measuredNote}`,
    params: nameParam,
    query: z.object(periodQuery).strict(),
    responses: { 200: { description: 'Reviewer accuracy' } },
    async handle({ engine, principal, params, query }) {
      const wf = await ledWorkflow(engine.db, engine.workflows, principal, params.name);
      return { status: 200, body: await reviewerAccuracyStats(engine.db, wf, toPeriod(query)) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/workflows/{name}/quality/bias',
    tag: 'quality',
    summary: 'Bias audit for a metadata attribute',
    description: `Leads only. \`attribute\` must be one the workflow declares in \`auditableAttributes\` (else 400). Per group: automation rate, machine error rate, audit overturn rate, approval rate (approve workflows), time to a human decision; rate ratios against the largest group with intervals, and a flag where the gap is significant after Holm's correction. Per reviewer and group: their rejections (approve workflows) or overrulings of the machine against peers' on comparable items (Cochran–Mantel–Haenszel). ${measuredNote}`,
    params: nameParam,
    query: z.object({ attribute: z.string().min(1).max(100).describe('A metadata key the workflow declares auditable'), ...periodQuery }).strict(),
    responses: { 200: { description: 'The audit' } },
    async handle({ engine, principal, params, query }) {
      const wf = await ledWorkflow(engine.db, engine.workflows, principal, params.name);
      return { status: 200, body: await biasAudit(engine.db, wf, query.attribute, toPeriod(query)) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/workflows/{name}/quality/automation-bias',
    tag: 'quality',
    summary: 'Automation-bias check',
    description: `Leads only. How often reviewers agree with the machine's suggestion when they answered blind (the workflow's \`blindMode\`) versus with it shown, on comparable items (same suggestion and confidence band), with the difference's interval and a test. ${measuredNote}`,
    params: nameParam,
    query: z.object(periodQuery).strict(),
    responses: { 200: { description: 'The check' } },
    async handle({ engine, principal, params, query }) {
      const wf = await ledWorkflow(engine.db, engine.workflows, principal, params.name);
      return { status: 200, body: await automationBiasCheck(engine.db, wf, toPeriod(query)) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/workflows/{name}/quality/reviewers/estimate',
    tag: 'quality',
    summary: 'Refit the reviewer estimates now',
    description:
      'Leads only. Fits Dawid–Skene on the workflow\'s overlapping answers now and stores each reviewer\'s confusion matrix, which `consensus.weighting: estimated` weighs votes by (a background job refits them every TANDEM_ESTIMATE_MS anyway). On too few overlapping items the previous fit stays and the answer says why (`fitted: false`, "not enough data (n = …)"). Free-text workflows have no labels to estimate over (400).',
    params: nameParam,
    responses: { 200: { description: 'What the fit did' } },
    async handle({ engine, principal, params }) {
      const wf = await ledWorkflow(engine.db, engine.workflows, principal, params.name);
      if (wf.labels.length < 2) throw invalid(`workflow "${wf.spec.name}" has free-text answers: there are no labels to estimate confusion matrices over`, [{ path: 'name', message: 'answerType is "text"' }]);
      return { status: 200, body: await fitReviewerEstimates(engine.db, wf) };
    },
  }),
];
