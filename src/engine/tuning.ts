// Target-accuracy routing in the shell: gathers the evidence (what the model said on held-out
// examples when trained, what it said on live items, and what people answered), asks the core's
// planner for thresholds, stores the plan, and re-plans when audits show drift or enough new
// outcomes arrive. Routing reads the newest plan through a short cache.
import { driftCheck, planThresholds, type EvidenceItem, type ThresholdPlan } from '../core/thresholds.ts';
import type { Reason } from '../core/types.ts';
import type { PolicySpec } from '../core/workflow.ts';
import type { Queryable } from '../store/db.ts';
import { countHumanDecisionsSince } from '../store/decisions.ts';
import { insertEvents } from '../store/events.ts';
import { getHeldOutOutcomes, latestModelVersion } from '../store/modelVersions.ts';
import { auditOutcomesSince, insertTuning, latestTuning, recentConfidences, recentInputs, recentScoredOutcomes, type TuningRow } from '../store/tunings.ts';
import type { Engine } from './engine.ts';
import type { CompiledWorkflow } from './workflows.ts';

/** Live items a plan looks back on: enough for tight intervals, recent enough to follow drift. */
const evidenceWindow = 5000;
/** Live items that describe the traffic well enough to count shares on; below it, the evidence does. */
const populationMin = 300;
/** Newest items a built-in model scores afresh to see the traffic as it would. */
const rescoreWindow = 2000;
/** Decisions a plan's promise covers, chance variation included (see planThresholds). */
const promiseHorizon = evidenceWindow;
/** Known outcomes since the last plan that call for a new one. */
const replanAfter = 50;
/** A threshold no confidence reaches: the machine decides nothing. */
const never = 1.01;

/** Which model's predictions count as evidence for the current plan. */
async function currentModel(db: Queryable, wf: CompiledWorkflow): Promise<{ name: string; family: string; version: number | null }> {
  const m = wf.spec.model;
  if (m.type === 'builtin') {
    const v = await latestModelVersion(db, wf.spec.name);
    const family = `builtin:${wf.spec.name}`;
    return { name: v ? `${family}@v${v.version}` : family, family, version: v?.version ?? null };
  }
  const name = m.type === 'http' ? `http:${m.url}` : m.type === 'openai' ? `openai:${m.model}` : 'none';
  return { name, family: name, version: null };
}

export interface Evidence {
  evidence: EvidenceItem[];
  /** Confidences of the live traffic to count shares on; null: count them on the evidence. */
  population: number[] | null;
  modelVersion: number | null;
}

/**
 * The current model's held-out (out-of-fold) outcomes and live items, and the live traffic's
 * confidences as the current model sees them. A built-in model scores the newest items afresh
 * (a few microseconds each) unless they are labelled examples: a new version is often much
 * surer than the one that routed them, and counting shares on its predecessors' confidences
 * would under-automate after every retraining. An outside model's recorded confidences are used as they are, the current
 * version's when it has scored enough items, else those of recent versions.
 */
export async function gatherEvidence(engine: Engine, wf: CompiledWorkflow): Promise<Evidence> {
  const db = engine.db;
  const model = await currentModel(db, wf);
  const heldOut = model.version === null ? [] : await getHeldOutOutcomes(db, wf.spec.name, model.version);
  const live = await recentScoredOutcomes(db, wf.spec.name, model.name, evidenceWindow);
  const evidence: EvidenceItem[] = [
    ...heldOut.map((h) => ({ confidence: h.confidence, label: h.label, correct: h.correct, weight: h.weight ?? 1 })),
    ...live.map((o) => ({ confidence: o.confidence, label: o.label, correct: o.truth === null ? null : o.truth === o.label })),
  ];
  let population: number[] | null = null;
  if (wf.spec.model.type === 'builtin') {
    // Items people labelled may be in the new version's training set, where it is surer than it
    // will be on new traffic: they keep the confidence they were routed with.
    const recent = await recentInputs(db, wf.spec.name, rescoreWindow);
    const fresh = recent.filter((r) => !r.learned);
    const rescored = await engine.models.rescore(db, wf.spec.name, fresh);
    if (rescored) {
      const kept = recent.filter((r) => r.learned && r.confidence !== null).map((r) => r.confidence!);
      if (rescored.confidences.length + kept.length >= populationMin) population = [...rescored.confidences, ...kept];
    }
  }
  if (population === null && live.length >= populationMin) population = live.map((o) => o.confidence);
  if (population === null) {
    const recent = await recentConfidences(db, wf.spec.name, model.family, evidenceWindow);
    if (recent.length >= populationMin) population = recent;
  }
  return { evidence, population, modelVersion: model.version };
}

/** Plans thresholds for the workflow's target now and stores the plan. */
export async function tuneWorkflow(engine: Engine, workflow: string, reason: string): Promise<TuningRow | null> {
  const wf = await engine.workflows.get(engine.db, workflow);
  const target = wf.spec.targetAccuracy;
  if (target === undefined) return null;
  const { evidence, population, modelVersion } = await gatherEvidence(engine, wf);
  const plan = planThresholds(evidence, {
    target,
    reviewerAccuracy: wf.spec.reviewerAccuracy,
    reviewers: wf.spec.consensus.answers,
    perLabel: true,
    horizon: promiseHorizon,
    ...(population ? { population } : {}),
  });
  const audits = await auditOutcomesSince(engine.db, workflow, new Date(0));
  const row = await engine.db.transaction(async (tx) => {
    const t = await insertTuning(tx, { workflow, modelVersion, plan, auditsSeen: audits.total, reason });
    await insertEvents(tx, [{
      type: 'policy.tuned',
      workflow,
      payload: { reason, target, threshold: plan.threshold, humanShare: plan.humanShare, estimatedAccuracy: plan.estimatedAccuracy, feasible: plan.feasible, note: plan.reason },
    }]);
    return t;
  });
  engine.tunings.invalidate(workflow);
  return row;
}

/** Re-plans when audits since the last plan show the machine below its promise, or enough new outcomes came in. */
export async function retuneIfNeeded(engine: Engine, workflow: string): Promise<TuningRow | null> {
  const wf = await engine.workflows.get(engine.db, workflow);
  if (wf.spec.targetAccuracy === undefined) return null;
  const last = await latestTuning(engine.db, workflow);
  if (!last) return tuneWorkflow(engine, workflow, 'first plan');
  const plan = last.plan as ThresholdPlan;
  if (plan.target !== wf.spec.targetAccuracy) return tuneWorkflow(engine, workflow, 'target changed');
  const audits = await auditOutcomesSince(engine.db, workflow, last.created_at);
  if (plan.autoAccuracy && audits.total > 0) {
    // Checked on every pass, so at a strict level: a drift is acted on, noise is not.
    const drift = driftCheck(audits, plan.autoAccuracy.lower, { alpha: 0.01 });
    if (drift.drifted) return tuneWorkflow(engine, workflow, `drift: ${drift.reason}`);
  }
  const fresh = await countHumanDecisionsSince(engine.db, workflow, last.created_at);
  if (fresh + audits.total >= replanAfter) return tuneWorkflow(engine, workflow, 'new outcomes from people');
  return null;
}

export interface TargetRouting {
  policy: PolicySpec;
  /** People per item while the plan needs a consensus to meet the target. */
  reviewers: number;
  /** Said on every route while the target cannot be shown to be met; else null. */
  note: Reason | null;
}

/** The policy a target-accuracy workflow routes by: the plan's thresholds instead of the spec's. */
export function targetRouting(wf: CompiledWorkflow, tuning: TuningRow | null): TargetRouting | null {
  const target = wf.spec.targetAccuracy;
  if (target === undefined) return null;
  const kept = tuning?.plan as ThresholdPlan | undefined;
  // A plan made for another target is no plan for this one (it is replaced within a pass).
  const stored = kept && kept.target === target ? kept : undefined;
  const plan = stored && !stored.feasible && stored.consensus ? stored.consensus : stored;
  if (!plan) {
    return {
      policy: { ...wf.spec.policy, threshold: never, labelThresholds: {} },
      reviewers: wf.spec.consensus.answers,
      note: { code: 'target_accuracy', target, note: 'no plan yet for the target accuracy: every item goes to people until the model has been measured' },
    };
  }
  const labelThresholds: Record<string, number> = {};
  for (const [label, t] of Object.entries(plan.labelThresholds)) labelThresholds[label] = t ?? never;
  return {
    policy: { ...wf.spec.policy, threshold: plan.threshold ?? never, labelThresholds },
    reviewers: Math.max(wf.spec.consensus.answers, plan.reviewers),
    note: plan.reason ? { code: 'target_accuracy', target, note: plan.reason } : null,
  };
}

export interface TuningCache {
  current(db: Queryable, workflow: string): Promise<TuningRow | null>;
  invalidate(workflow: string): void;
}

export function createTuningCache(refreshMs = 1000): TuningCache {
  const cache = new Map<string, { at: number; row: TuningRow | null }>();
  return {
    async current(db, workflow) {
      const hit = cache.get(workflow);
      if (hit && Date.now() - hit.at < refreshMs) return hit.row;
      const row = await latestTuning(db, workflow);
      cache.set(workflow, { at: Date.now(), row });
      return row;
    },
    invalidate(workflow) {
      cache.delete(workflow);
    },
  };
}
