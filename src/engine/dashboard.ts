// The lead's dashboard for one workflow over a time range, and the threshold preview of the
// workflow settings: store queries and the core's estimates put together.
import { reliabilityBins, type ReliabilityBin } from '../core/calibration.ts';
import type { Interval } from '../core/estimate.ts';
import { previewThreshold, type ThresholdPreview } from '../core/preview.ts';
import type { ThresholdPlan } from '../core/thresholds.ts';
import { itemBuckets, queueDepthBuckets, workBuckets, type Range } from '../store/dashboard.ts';
import { getHeldOutOutcomes, listModelVersions } from '../store/modelVersions.ts';
import { latestTuning } from '../store/tunings.ts';
import type { Engine } from './engine.ts';
import { gatherEvidence } from './tuning.ts';
import type { CompiledWorkflow } from './workflows.ts';

export interface Bucket {
  at: string;
  items: number;
  auto: number;
  toPeople: number;
  automationRate: number | null;
  p50Seconds: number | null;
  p95Seconds: number | null;
  answers: number;
  humanHours: number;
  slaAttainment: number | null;
  queueDepth: number;
}

export interface Dashboard {
  workflow: string;
  from: string;
  to: string;
  bucketSeconds: number;
  buckets: Bucket[];
  totals: {
    items: number;
    auto: number;
    toPeople: number;
    automationRate: number | null;
    answers: number;
    humanHours: number;
    p50Seconds: number | null;
    p95Seconds: number | null;
    slaAttainment: number | null;
    cost: { reviewers: number; errors: number; total: number; currency: string } | null;
  };
  accuracy: { target: number | null; estimated: Interval; humanShare: number; basis: 'plan' | 'threshold'; threshold: number | null };
  model: {
    versions: Array<{ version: number; trainingSize: number; accuracy: number | null; ece: number | null; createdAt: string }>;
    reliability: ReliabilityBin[];
  };
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export async function workflowDashboard(engine: Engine, wf: CompiledWorkflow, range: Range): Promise<Dashboard> {
  const name = wf.spec.name;
  const span = Math.max(1, Math.ceil((range.to.getTime() - range.from.getTime()) / 1000));
  const whole: Range = { ...range, bucketSeconds: span };
  const [items, work, depth, itemTotal, workTotal, versions, accuracy] = await Promise.all([
    itemBuckets(engine.db, name, range),
    workBuckets(engine.db, name, range),
    queueDepthBuckets(engine.db, name, range),
    itemBuckets(engine.db, name, whole),
    workBuckets(engine.db, name, whole),
    listModelVersions(engine.db, name),
    currentAccuracy(engine, wf),
  ]);
  const count = Math.ceil(span / range.bucketSeconds);
  const byItem = new Map(items.map((b) => [b.bucket, b]));
  const byWork = new Map(work.map((b) => [b.bucket, b]));
  const byDepth = new Map(depth.map((b) => [b.bucket, b.depth]));
  const buckets: Bucket[] = [];
  for (let i = 0; i < count; i++) {
    const it = byItem.get(i);
    const wk = byWork.get(i);
    buckets.push({
      at: new Date(range.from.getTime() + i * range.bucketSeconds * 1000).toISOString(),
      items: it?.items ?? 0,
      auto: it?.auto ?? 0,
      toPeople: it?.to_people ?? 0,
      automationRate: it && it.items > 0 ? it.auto / it.items : null,
      p50Seconds: it?.p50_s ?? null,
      p95Seconds: it?.p95_s ?? null,
      answers: wk?.answers ?? 0,
      humanHours: (wk?.seconds ?? 0) / 3600,
      slaAttainment: wk && wk.settled > 0 ? wk.on_time / wk.settled : null,
      queueDepth: byDepth.get(i) ?? 0,
    });
  }
  const it = itemTotal[0];
  const wk = workTotal[0];
  const humanHours = (wk?.seconds ?? 0) / 3600;
  const decided = it?.decided ?? 0;
  const costs = wf.spec.costs;
  const errors = costs ? decided * (1 - accuracy.estimated.estimate) * costs.errorCost : 0;
  const reviewers = costs ? humanHours * costs.reviewerPerHour : 0;
  const latest = versions[versions.length - 1];
  const heldOut = latest ? await getHeldOutOutcomes(engine.db, name, latest.version) : [];
  return {
    workflow: name,
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    bucketSeconds: range.bucketSeconds,
    buckets,
    totals: {
      items: it?.items ?? 0,
      auto: it?.auto ?? 0,
      toPeople: it?.to_people ?? 0,
      automationRate: it && it.items > 0 ? it.auto / it.items : null,
      answers: wk?.answers ?? 0,
      humanHours,
      p50Seconds: it?.p50_s ?? null,
      p95Seconds: it?.p95_s ?? null,
      slaAttainment: wk && wk.settled > 0 ? wk.on_time / wk.settled : null,
      cost: costs ? { reviewers, errors, total: reviewers + errors, currency: costs.currency } : null,
    },
    accuracy,
    model: {
      versions: versions.map((v) => ({
        version: v.version, trainingSize: v.training_size, accuracy: num(v.scores.accuracy), ece: num(v.scores.ece), createdAt: v.created_at.toISOString(),
      })),
      reliability: reliabilityBins(heldOut.map((h) => h.confidence), heldOut.map((h) => h.correct), 10),
    },
  };
}

/** The estimate of the newest target-accuracy plan, else what the policy's threshold gives on the evidence. */
async function currentAccuracy(engine: Engine, wf: CompiledWorkflow): Promise<Dashboard['accuracy']> {
  const target = wf.spec.targetAccuracy ?? null;
  if (target !== null) {
    const tuning = await latestTuning(engine.db, wf.spec.name);
    const plan = tuning?.plan as ThresholdPlan | undefined;
    if (plan) return { target, estimated: plan.estimatedAccuracy, humanShare: plan.humanShare, basis: 'plan', threshold: plan.threshold };
  }
  const p = await thresholdPreview(engine, wf, wf.spec.policy.threshold);
  return { target, estimated: p.estimatedAccuracy, humanShare: p.humanShare, basis: 'threshold', threshold: wf.spec.policy.threshold };
}

export async function thresholdPreview(engine: Engine, wf: CompiledWorkflow, threshold: number): Promise<ThresholdPreview> {
  if (wf.spec.model.type === 'none') return previewThreshold([], { threshold, reviewerAccuracy: wf.spec.reviewerAccuracy });
  const { evidence } = await gatherEvidence(engine.db, wf);
  return previewThreshold(evidence, { threshold, reviewerAccuracy: wf.spec.reviewerAccuracy });
}
