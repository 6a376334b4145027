// The capacity plan of a workflow: the core's Erlang C / Erlang A planner fed with what the
// workflow measured — arrivals per hour, the time people spent per answer, the share the machine
// decided — each overridable, and a what-if over confidence thresholds from the threshold preview.
import { planCapacity, thresholdWhatIf, type CapacityPlan, type PlanInput, type WhatIfRow } from '../core/capacity.ts';
import { previewThreshold } from '../core/preview.ts';
import type { Queryable } from '../store/db.ts';
import { answerSeconds, arrivalCounts } from '../store/capacity.ts';
import { gatherEvidence } from './tuning.ts';
import type { CompiledWorkflow } from './workflows.ts';

/** How far back arrivals and routes are measured. */
const windowHours = 7 * 24;
/** Newest answers whose time spent makes the handle-time distribution. */
const handleSample = 5000;
/** Until people have answered anything, a minute per item. */
const defaultHandleSeconds = 60;
export const whatIfThresholds = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99];

export interface MeasuredLoad {
  windowHours: number;
  items: number;
  /** Items per hour since the first item in the window (at least an hour); null with no items. */
  arrivalsPerHour: number | null;
  busiestHour: number;
  /** Share of items the machine decided; null with no items. */
  automationRate: number | null;
  answers: number;
  /** Mean, median and 90th percentile of the seconds people reported per answer; null with none. */
  handleSeconds: number | null;
  handleP50: number | null;
  handleP90: number | null;
  /** The reported times themselves (newest first), for simulations. */
  handleSamples: number[];
}

export async function measureLoad(db: Queryable, wf: CompiledWorkflow, now = new Date()): Promise<MeasuredLoad> {
  const since = new Date(now.getTime() - windowHours * 3600_000);
  const [counts, seconds] = await Promise.all([arrivalCounts(db, wf.spec.name, since), answerSeconds(db, wf.spec.name, handleSample)]);
  const first = counts.first ? new Date(counts.first) : null;
  const hours = first ? Math.max(1, (now.getTime() - Math.max(first.getTime(), since.getTime())) / 3600_000) : null;
  const sorted = [...seconds].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  return {
    windowHours,
    items: counts.items,
    arrivalsPerHour: hours === null ? null : counts.items / hours,
    busiestHour: counts.busiest_hour,
    automationRate: counts.items > 0 ? counts.auto / counts.items : null,
    answers: seconds.length,
    handleSeconds: seconds.length === 0 ? null : seconds.reduce((a, b) => a + b, 0) / seconds.length,
    handleP50: at(0.5),
    handleP90: at(0.9),
    handleSamples: seconds,
  };
}

export interface CapacityQuery {
  serviceLevel?: number | undefined;
  withinSeconds?: number | undefined;
  shrinkage?: number | undefined;
  arrivalsPerHour?: number | undefined;
  handleSeconds?: number | undefined;
  automationRate?: number | undefined;
  patienceSeconds?: number | undefined;
}

export type InputSource = 'measured' | 'given' | 'default';

export interface WorkflowCapacity {
  workflow: string;
  threshold: number;
  measured: Omit<MeasuredLoad, 'handleSamples'>;
  /** Where each planner input came from. */
  sources: { arrivalsPerHour: InputSource; handleSeconds: InputSource; automationRate: InputSource };
  plan: CapacityPlan;
  /** Reviewers needed if the confidence threshold were each of these (the preview's automation rate; rules not counted). */
  whatIf: WhatIfRow[];
}

export async function workflowCapacity(db: Queryable, wf: CompiledWorkflow, q: CapacityQuery, now = new Date()): Promise<WorkflowCapacity> {
  const measured = await measureLoad(db, wf, now);
  const evidence = wf.spec.model.type === 'none' ? [] : (await gatherEvidence(db, wf)).evidence;
  const preview = (threshold: number) => previewThreshold(evidence, { threshold, reviewerAccuracy: wf.spec.reviewerAccuracy });
  const threshold = wf.spec.policy.threshold;
  const pick = <T>(given: T | undefined, measuredValue: T | null, fallback: T): [T, InputSource] =>
    given !== undefined ? [given, 'given'] : measuredValue !== null ? [measuredValue, 'measured'] : [fallback, 'default'];
  const [arrivalsPerHour, arrivalsSource] = pick(q.arrivalsPerHour, measured.arrivalsPerHour, 0);
  const [handleSeconds, handleSource] = pick(q.handleSeconds, measured.handleSeconds, defaultHandleSeconds);
  const [automationRate, automationSource] = pick(q.automationRate, measured.automationRate, preview(threshold).autoShare);
  const input: PlanInput = {
    arrivalsPerHour,
    handleSeconds,
    automationRate,
    serviceLevel: q.serviceLevel ?? 0.8,
    withinSeconds: q.withinSeconds ?? 60,
    shrinkage: q.shrinkage ?? 0,
    patienceSeconds: q.patienceSeconds ?? null,
  };
  const plan = planCapacity(input);
  const thresholds = [...new Set([...whatIfThresholds, threshold])].sort((a, b) => a - b);
  const whatIf = thresholdWhatIf(input, thresholds.map((t) => {
    const p = preview(t);
    return { threshold: t, automationRate: p.autoShare, estimatedAccuracy: p.items > 0 ? p.estimatedAccuracy.estimate : null };
  }));
  const { handleSamples: _samples, ...shown } = measured;
  return { workflow: wf.spec.name, threshold, measured: shown, sources: { arrivalsPerHour: arrivalsSource, handleSeconds: handleSource, automationRate: automationSource }, plan, whatIf };
}
