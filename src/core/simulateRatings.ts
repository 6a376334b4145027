// Answers drawn from known confusion matrices: the ground truth that reviewer-accuracy methods
// are checked against when no data set with several real reviewers per item and known truth is at
// hand. Seeded, so a test or benchmark sees the same answers every run.
import type { Rating } from './agreement.ts';
import { seededRandom } from './estimate.ts';

export interface SimulatedReviewer {
  rater: string;
  /** confusion[k][l]: chance of answering labels[l] when the truth is labels[k]; rows sum to 1. */
  confusion: number[][];
}

export interface SimulationSpec {
  labels: string[];
  /** Share of each true label; sums to 1. */
  priors: number[];
  reviewers: SimulatedReviewer[];
  items: number;
  /** Distinct reviewers per item, drawn uniformly. */
  perItem: number;
  seed: number;
}

export interface Simulation {
  truth: Map<string, string>;
  ratings: Rating[];
}

function draw(weights: readonly number[], u: number): number {
  let acc = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += weights[i]!;
    if (u < acc) return i;
  }
  return weights.length - 1;
}

export function simulateRatings(spec: SimulationSpec): Simulation {
  const K = spec.labels.length;
  if (spec.priors.length !== K) throw new RangeError('one prior per label');
  for (const r of spec.reviewers)
    if (r.confusion.length !== K || r.confusion.some((row) => row.length !== K)) throw new RangeError(`confusion of ${r.rater} must be ${K} × ${K}`);
  if (!Number.isInteger(spec.perItem) || spec.perItem < 1 || spec.perItem > spec.reviewers.length)
    throw new RangeError(`perItem must be between 1 and the number of reviewers, got ${spec.perItem}`);
  const random = seededRandom(spec.seed);
  const truth = new Map<string, string>();
  const ratings: Rating[] = [];
  for (let i = 0; i < spec.items; i++) {
    const item = `item-${i}`;
    const k = draw(spec.priors, random());
    truth.set(item, spec.labels[k]!);
    // A partial Fisher–Yates shuffle picks perItem distinct reviewers.
    const pool = spec.reviewers.map((_, r) => r);
    for (let j = 0; j < spec.perItem; j++) {
      const pick = j + Math.floor(random() * (pool.length - j));
      [pool[j], pool[pick]] = [pool[pick]!, pool[j]!];
      const reviewer = spec.reviewers[pool[j]!]!;
      ratings.push({ item, rater: reviewer.rater, label: spec.labels[draw(reviewer.confusion[k]!, random())]! });
    }
  }
  return { truth, ratings };
}

/** A confusion matrix with `accuracy` on the diagonal and the rest spread evenly. */
export function symmetricConfusion(k: number, accuracy: number): number[][] {
  return Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? accuracy : (1 - accuracy) / (k - 1))));
}
