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
import { auditOutcomesSince, insertTuning, latestTuning, recentScoredOutcomes, type TuningRow } from '../store/tunings.ts';
import type { Engine } from './engine.ts';
import type { CompiledWorkflow } from './workflows.ts';

/** Live items a plan looks back on: enough for tight intervals, recent enough to follow drift. */
const evidenceWindow = 5000;
/** Known outcomes since the last plan that call for a new one. */
const replanAfter = 50;
/** A threshold no confidence reaches: the machine decides nothing. */
const never = 1.01;

/** Which model's predictions count as evidence for the current plan. */
async function currentModel(db: Queryable, wf: CompiledWorkflow): Promise<{ name: string; version: number | null }> {
  const m = wf.spec.model;
  if (m.type === 'builtin') {
    const v = await latestModelVersion(db, wf.spec.name);
    return { name: v ? `builtin:${wf.spec.name}@v${v.version}` : `builtin:${wf.spec.name}`, version: v?.version ?? null };
  }
  if (m.type === 'http') return { name: `http:${m.url}`, version: null };
  if (m.type === 'openai') return { name: `openai:${m.model}`, version: null };
  return { name: 'none', version: null };
}

export async function gatherEvidence(db: Queryable, wf: CompiledWorkflow): Promise<{ evidence: EvidenceItem[]; modelVersion: number | null }> {
  const model = await currentModel(db, wf);
  const heldOut = model.version === null ? [] : await getHeldOutOutcomes(db, wf.spec.name, model.version);
  const live = await recentScoredOutcomes(db, wf.spec.name, model.name, evidenceWindow);
  const evidence: EvidenceItem[] = [
    ...heldOut.map((h) => ({ confidence: h.confidence, label: h.label, correct: h.correct })),
    ...live.map((o) => ({ confidence: o.confidence, label: o.label, correct: o.truth === null ? null : o.truth === o.label })),
  ];
  return { evidence, modelVersion: model.version };
}

/** Plans thresholds for the workflow's target now and stores the plan. */
export async function tuneWorkflow(engine: Engine, workflow: string, reason: string): Promise<TuningRow | null> {
  const wf = await engine.workflows.get(engine.db, workflow);
  const target = wf.spec.targetAccuracy;
  if (target === undefined) return null;
  const { evidence, modelVersion } = await gatherEvidence(engine.db, wf);
  const plan = planThresholds(evidence, {
    target,
    reviewerAccuracy: wf.spec.reviewerAccuracy,
    reviewers: wf.spec.consensus.answers,
    perLabel: true,
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
