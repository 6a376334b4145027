// "At this setting about X % go to people, estimated accuracy Y": what a confidence threshold
// would do, read off the same evidence the target-accuracy planner uses (the model's held-out
// examples and the live items it scored, with people's answers where known). Rules and the
// coverage guard send more items to people on top of this; the preview says so.
import { wilsonInterval, zOneSided, type Interval } from './estimate.ts';

export interface PreviewEvidence {
  confidence: number;
  /** Whether the machine's label was right, when known. */
  correct: boolean | null;
}

export interface PreviewOptions {
  threshold: number;
  reviewerAccuracy: number;
  /** One-sided level of the bounds (default 0.95). */
  level?: number;
  /** Weight of the calibrated confidences, in pseudo-items, against known outcomes (default 20). */
  priorStrength?: number;
}

export interface ThresholdPreview {
  threshold: number;
  /** Evidence items, and those whose right answer is known. */
  items: number;
  known: number;
  /** Share of items the machine would decide, and the share going to people. */
  autoShare: number;
  humanShare: number;
  /** Accuracy of the machine's decisions above the threshold; null when it decides none. */
  autoAccuracy: Interval | null;
  /** Accuracy of all final decisions (machine above, people below). */
  estimatedAccuracy: Interval;
}

export function previewThreshold(evidence: readonly PreviewEvidence[], o: PreviewOptions): ThresholdPreview {
  const z = zOneSided(o.level ?? 0.95);
  const prior = o.priorStrength ?? 20;
  const h = o.reviewerAccuracy;
  let above = 0;
  let known = 0;
  let correct = 0;
  let confSum = 0;
  let knownAll = 0;
  for (const e of evidence) {
    if (e.correct !== null) knownAll++;
    if (!(e.confidence >= o.threshold)) continue;
    above++;
    confSum += e.confidence;
    if (e.correct !== null) {
      known++;
      if (e.correct) correct++;
    }
  }
  const items = evidence.length;
  const base = { threshold: o.threshold, items, known: knownAll };
  if (items === 0 || above === 0) {
    return { ...base, autoShare: 0, humanShare: 1, autoAccuracy: null, estimatedAccuracy: { estimate: h, lower: h, upper: h } };
  }
  const share = above / items;
  const mean = confSum / above;
  const auto = wilsonInterval(correct + prior * mean, known + prior, z);
  const mix = (v: number) => share * v + (1 - share) * h;
  return {
    ...base,
    autoShare: share,
    humanShare: 1 - share,
    autoAccuracy: auto,
    estimatedAccuracy: { estimate: mix(auto.estimate), lower: mix(auto.lower), upper: mix(auto.upper) },
  };
}
