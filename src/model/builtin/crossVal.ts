// What a model trained this way says about examples it has not seen, for every example: k-fold
// out-of-fold predictions. The thresholds that promise a target accuracy are certified on this
// evidence, and a lower confidence bound over all n examples is far tighter than over the 15 %
// a single hold-out leaves — which is what lets the planner send fewer items to people.
import { seededRandom } from '../../core/estimate.ts';
import { predict, train, type Example, type TrainOptions } from './linear.ts';

export interface Outcome {
  label: string;
  confidence: number;
  correct: boolean;
}

export function outOfFoldOutcomes(examples: readonly Example[], folds: number, options: Partial<TrainOptions> = {}): Outcome[] {
  const rand = seededRandom(options.seed ?? 1);
  const order = Array.from(examples.keys());
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const out: Outcome[] = [];
  for (let f = 0; f < folds; f++) {
    const test = order.filter((_, i) => i % folds === f).map((i) => examples[i]!);
    const rest = order.filter((_, i) => i % folds !== f).map((i) => examples[i]!);
    if (new Set(rest.map((e) => e.label)).size < 2) continue;
    const model = train(rest, options);
    for (const e of test) {
      const p = predict(model, e.text, { explain: false });
      out.push({ label: p.label, confidence: p.confidence, correct: p.label === e.label });
    }
  }
  return out;
}
