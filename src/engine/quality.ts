// The quality of the people: how consistently they label (agreement), how accurate each is (gold,
// and Dawid–Skene without gold), whether groups of items are treated differently (bias audit), and
// whether a visible machine suggestion sways them (automation bias). The statistics are the pure
// functions of core/; this module only gathers their inputs. A statistic on too little data is a
// Measured 'insufficient' whose message reads "not enough data (n = …)", never a number.
import { confusions, fleissKappa, krippendorffAlpha, labelAgreement, pairwiseKappa, percentAgreement, type Rating } from '../core/agreement.ts';
import { automationBias } from '../core/automationBias.ts';
import { disparityAudit, durationSummary, rate, reviewerDisparity, type GroupCount } from '../core/disparity.ts';
import { dawidSkene } from '../core/reviewerAccuracy.ts';
import type { Queryable } from '../store/db.ts';
import { goldTallies, listWorkflowStages, type GoldStage } from '../store/gold.ts';
import { latestEstimateFit } from '../store/reviewerEstimates.ts';
import { itemTexts, listAuditItems, listRatings, listReviewerAnswers, type Period } from '../store/qualityData.ts';
import { invalid } from './errors.ts';
import type { CompiledWorkflow } from './workflows.ts';

export type { Period } from '../store/qualityData.ts';

/** Items are comparable when the machine said the same label with about the same confidence. */
function stratum(predicted: string | null, confidence: number | null): string {
  const band = confidence === null || !Number.isFinite(confidence) ? 'none' : (Math.min(9, Math.floor(confidence * 10)) / 10).toFixed(1);
  return `${predicted ?? '(no suggestion)'} @ ${band}`;
}

const periodView = (p: Period) => ({ from: p.from?.toISOString() ?? null, to: p.to?.toISOString() ?? null });

// --- agreement ---------------------------------------------------------------------------------------

export async function agreementStats(db: Queryable, wf: CompiledWorkflow, p: Period) {
  const rows = await listRatings(db, wf.spec.name, p);
  const email = new Map(rows.map((r) => [r.reviewer_id, r.email]));
  const ratings: Rating[] = rows.map((r) => ({ item: r.item_id, rater: r.reviewer_id, label: r.label }));
  const perItem = new Map<string, number>();
  for (const r of ratings) perItem.set(r.item, (perItem.get(r.item) ?? 0) + 1);
  const who = (id: string) => ({ id, email: email.get(id) ?? id });
  return {
    workflow: wf.spec.name,
    period: periodView(p),
    ratings: ratings.length,
    /** Items with answers from at least two reviewers: the ones agreement is measured on. */
    itemsWithOverlap: [...perItem.values()].filter((n) => n >= 2).length,
    reviewers: email.size,
    overall: {
      percentAgreement: percentAgreement(ratings),
      fleissKappa: fleissKappa(ratings),
      krippendorffAlpha: krippendorffAlpha(ratings),
    },
    perLabel: labelAgreement(ratings),
    pairs: pairwiseKappa(ratings)
      .slice(0, 100)
      .map((pair) => ({ reviewerA: who(pair.raterA), reviewerB: who(pair.raterB), kappa: pair.kappa })),
    /** The label pairs people split on most, with example item ids, so the guideline can be fixed. */
    disagreements: confusions(ratings, 3).slice(0, 10),
  };
}
export type AgreementStats = Awaited<ReturnType<typeof agreementStats>>;

// --- reviewer accuracy ---------------------------------------------------------------------------------

export async function reviewerAccuracyStats(db: Queryable, wf: CompiledWorkflow, p: Period) {
  const [tallies, stages, rows, stored] = await Promise.all([
    goldTallies(db, wf.spec.name, p.from, p.to),
    listWorkflowStages(db, wf.spec.name),
    listRatings(db, wf.spec.name, p),
    latestEstimateFit(db, wf.spec.name),
  ]);
  const stageOf = new Map(stages.map((s) => [s.reviewer_id, s]));
  const byReviewer = new Map<string, { email: string; stages: Partial<Record<GoldStage, { x: number; n: number }>>; all: { x: number; n: number } }>();
  for (const t of tallies) {
    const r = byReviewer.get(t.reviewer_id) ?? { email: t.email, stages: {}, all: { x: 0, n: 0 } };
    r.stages[t.stage] = { x: t.correct, n: t.answered };
    r.all.x += t.correct;
    r.all.n += t.answered;
    byReviewer.set(t.reviewer_id, r);
  }
  const gold = [...byReviewer.entries()].map(([id, r]) => ({
    reviewer: { id, email: r.email },
    stage: stageOf.get(id)?.stage ?? null,
    attempt: stageOf.get(id)?.attempt ?? null,
    answered: r.all.n,
    correct: r.all.x,
    accuracy: rate(r.all),
    /** Live gold only: the measure of work as it is done, unannounced. */
    liveAccuracy: rate(r.stages.live ?? { x: 0, n: 0 }),
    byStage: Object.fromEntries(Object.entries(r.stages).map(([s, c]) => [s, { answered: c.n, correct: c.x }])),
  }));
  const email = new Map(rows.map((r) => [r.reviewer_id, r.email]));
  const ds = dawidSkene(
    rows.map((r) => ({ item: r.item_id, rater: r.reviewer_id, label: r.label })),
    wf.labels.length >= 2 ? { labels: wf.labels } : {},
  );
  const dawidSkeneView =
    ds.kind === 'ok'
      ? {
          kind: 'ok' as const,
          labels: ds.labels,
          priors: ds.priors,
          iterations: ds.iterations,
          converged: ds.converged,
          reviewers: ds.reviewers.map((r) => ({ reviewer: { id: r.rater, email: email.get(r.rater) ?? r.rater }, accuracy: r.accuracy, answers: r.answers, confusion: r.confusion })),
        }
      : ds;
  return {
    workflow: wf.spec.name,
    period: periodView(p),
    gold,
    stages: stages.map((s) => ({ reviewerId: s.reviewer_id, stage: s.stage, attempt: s.attempt, qualifiedAt: s.qualified_at?.toISOString() ?? null, demotedAt: s.demoted_at?.toISOString() ?? null })),
    dawidSkene: dawidSkeneView,
    /** The fit votes are weighted by under `consensus.weighting: estimated` (all time, refitted in the background). */
    storedEstimates: stored ? { fittedAt: stored.fitted_at.toISOString(), ratings: stored.ratings, items: stored.items, iterations: stored.iterations, converged: stored.converged } : null,
  };
}
export type ReviewerAccuracyStats = Awaited<ReturnType<typeof reviewerAccuracyStats>>;

// --- bias audit ----------------------------------------------------------------------------------------

const NO_VALUE = '(none)';

export function requireAuditable(wf: CompiledWorkflow, attribute: string): void {
  const declared = wf.spec.auditableAttributes;
  if (!declared.includes(attribute)) {
    throw invalid(`"${attribute}" is not an auditable attribute of workflow "${wf.spec.name}"`, [
      { path: 'attribute', message: declared.length > 0 ? `must be one of: ${declared.join(', ')}` : 'the workflow declares none (auditableAttributes in its spec)' },
    ]);
  }
}

export async function biasAudit(db: Queryable, wf: CompiledWorkflow, attribute: string, p: Period) {
  requireAuditable(wf, attribute);
  const [items, answers] = await Promise.all([listAuditItems(db, wf.spec.name, attribute, p), listReviewerAnswers(db, wf.spec.name, attribute, p)]);
  const groups = [...new Set(items.map((i) => i.group ?? NO_VALUE))].sort();
  const count = (n: (i: (typeof items)[number]) => boolean, x: (i: (typeof items)[number]) => boolean): GroupCount[] =>
    groups.map((group) => {
      const mine = items.filter((i) => (i.group ?? NO_VALUE) === group && n(i));
      return { group, n: mine.length, x: mine.filter(x).length };
    });
  const approve = wf.spec.answerType === 'approve';
  const decisions = answers.flatMap((a) => {
    if (!approve && a.predicted === null) return [];
    return [{ rater: a.reviewer_id, group: a.group ?? NO_VALUE, stratum: stratum(a.predicted, a.confidence), event: approve ? a.label === 'reject' : a.label !== a.predicted }];
  });
  const email = new Map(answers.map((a) => [a.reviewer_id, a.email]));
  return {
    workflow: wf.spec.name,
    attribute,
    period: periodView(p),
    groups: groups.map((group) => ({ group, items: items.filter((i) => (i.group ?? NO_VALUE) === group).length })),
    automationRate: disparityAudit(count(() => true, (i) => i.route === 'auto')),
    /** The machine's suggestion against what people said is right, on reviews and audits. */
    machineErrorRate: disparityAudit(count((i) => i.predicted !== null && i.truth !== null, (i) => i.predicted !== i.truth)),
    /** Audited automatic decisions that people overturned. */
    overturnRate: disparityAudit(count((i) => i.audited, (i) => i.overturned)),
    approvalRate: approve ? disparityAudit(count((i) => i.final === 'approve' || i.final === 'reject', (i) => i.final === 'approve')) : null,
    timeToDecision: groups.map((group) => ({
      group,
      seconds: durationSummary(items.filter((i) => (i.group ?? NO_VALUE) === group && i.human_seconds !== null).map((i) => i.human_seconds!)),
    })),
    /** Per reviewer and group, against peers on comparable items (same suggestion and confidence band). */
    reviewers: {
      event: approve ? 'rejected' : 'overruled the machine',
      comparisons: reviewerDisparity(decisions).map((r) => ({ ...r, reviewer: { id: r.rater, email: email.get(r.rater) ?? r.rater } })),
    },
  };
}
export type BiasAudit = Awaited<ReturnType<typeof biasAudit>>;

// --- automation bias ---------------------------------------------------------------------------------

export async function automationBiasCheck(db: Queryable, wf: CompiledWorkflow, p: Period) {
  const answers = await listReviewerAnswers(db, wf.spec.name, null, p);
  const decisions = answers.flatMap((a) =>
    a.blind === null || a.predicted === null ? [] : [{ mode: a.blind ? ('blind' as const) : ('shown' as const), stratum: stratum(a.predicted, a.confidence), agreed: a.label === a.predicted }],
  );
  return {
    workflow: wf.spec.name,
    period: periodView(p),
    blindMode: wf.spec.blindMode,
    answers: { blind: decisions.filter((d) => d.mode === 'blind').length, shown: decisions.filter((d) => d.mode === 'shown').length },
    /** Agreement with the machine's suggestion, blind vs shown, on comparable items. */
    result: automationBias(decisions),
  };
}
export type AutomationBiasCheck = Awaited<ReturnType<typeof automationBiasCheck>>;

// --- everything, for the report ------------------------------------------------------------------------

export async function qualityReport(db: Queryable, wf: CompiledWorkflow, p: Period) {
  return {
    workflow: wf.spec.name,
    version: wf.version,
    generatedAt: new Date().toISOString(),
    period: periodView(p),
    settings: { quality: wf.spec.quality, consensus: wf.spec.consensus, blindMode: wf.spec.blindMode, auditableAttributes: wf.spec.auditableAttributes },
    agreement: await agreementStats(db, wf, p),
    reviewers: await reviewerAccuracyStats(db, wf, p),
    bias: await Promise.all(wf.spec.auditableAttributes.map((a) => biasAudit(db, wf, a, p))),
    automationBias: await automationBiasCheck(db, wf, p),
  };
}
export type QualityReport = Awaited<ReturnType<typeof qualityReport>>;

/** The report with the text of the items it cites as examples of disagreement. */
export async function qualityReportWithExamples(db: Queryable, wf: CompiledWorkflow, p: Period): Promise<{ report: QualityReport; itemTexts: Record<string, string | null> }> {
  const report = await qualityReport(db, wf, p);
  const ids = [...new Set(report.agreement.disagreements.flatMap((d) => d.examples))];
  return { report, itemTexts: await itemTexts(db, wf.spec.name, ids) };
}
