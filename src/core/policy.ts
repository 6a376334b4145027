// The routing policy: the one place that decides whether the machine's answer stands, a person
// looks, or a lead looks. Pure, so the engine, a dry-run endpoint and the threshold tuner all
// see the same decision for the same item, and every decision can be explained by its reasons.
import type { Prediction, Reason, Route, RouteKind } from './types.ts';
import type { CompiledRule, PolicySpec } from './workflow.ts';
import { evaluateRule } from './rules.ts';
import { uniformFromKey } from './sampling.ts';

export interface RouteInput {
  policy: PolicySpec;
  rules: CompiledRule[];
  /** The outcomes the machine may predict; empty when the workflow has none to check against. */
  labels: string[];
  prediction: Prediction | null;
  fields: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** Stable identity of the item (e.g. its id), so audit sampling is repeatable. */
  itemKey: string;
}

/** The threshold a label must reach to be taken without a person. */
export function thresholdFor(policy: Pick<PolicySpec, 'threshold' | 'labelThresholds'>, label: string): number {
  return Object.hasOwn(policy.labelThresholds, label) ? (policy.labelThresholds[label] as number) : policy.threshold;
}

/** Judges the prediction alone: whether the machine may decide, and why. */
function judgePrediction(input: RouteInput): { trusted: boolean; reason: Reason } {
  const p = input.prediction;
  if (p === null || p.model === 'none') return { trusted: false, reason: { code: 'no_model' } };
  if (p.error !== undefined) return { trusted: false, reason: { code: 'model_error', message: p.error } };
  if (p.label === null || p.confidence === null || !Number.isFinite(p.confidence)) {
    // A model that answers without a label or a real confidence has failed, even if it did not say so.
    return { trusted: false, reason: { code: 'model_error', message: 'the model gave no label or confidence' } };
  }
  if (p.coverage !== undefined && p.coverage < input.policy.minCoverage) {
    return { trusted: false, reason: { code: 'out_of_scope', coverage: p.coverage, minCoverage: input.policy.minCoverage } };
  }
  if (input.labels.length > 0 && !input.labels.includes(p.label)) {
    return { trusted: false, reason: { code: 'unknown_label', label: p.label } };
  }
  const threshold = thresholdFor(input.policy, p.label);
  const detail = { label: p.label, confidence: p.confidence, threshold };
  return p.confidence >= threshold
    ? { trusted: true, reason: { code: 'confident', ...detail } }
    : { trusted: false, reason: { code: 'below_threshold', ...detail } };
}

export function decideRoute(input: RouteInput): Route {
  const judged = judgePrediction(input);
  const label = input.prediction?.label ?? null;
  const confidence = input.prediction?.confidence ?? null;
  const reasons: Reason[] = [judged.reason];

  let route: RouteKind = judged.trusted ? 'auto' : 'review';
  let priority = 0;
  const skills = new Set<string>();
  const ctx = { fields: input.fields, metadata: input.metadata, label, confidence };
  const matched = input.rules.filter((r) => evaluateRule(r.rule, ctx));
  for (const r of matched) {
    reasons.push({ code: 'rule', rule: r.source, name: r.name, action: r.action });
    if (r.action === 'escalate') route = 'escalate';
    else if (route === 'auto') route = 'review';
    for (const s of r.skills) skills.add(s);
  }
  if (matched.length > 0) priority = Math.max(...matched.map((r) => r.priority));

  let audit = false;
  if (route === 'auto' && uniformFromKey(input.policy.seed, input.itemKey) < input.policy.auditRate) {
    audit = true;
    reasons.push({ code: 'audit_sample', rate: input.policy.auditRate });
  }

  return { route, label, confidence, audit, reasons, priority, skills: [...skills].sort() };
}
