// Reviewer accuracy without gold: how well Dawid–Skene recovers the truth and each reviewer's
// accuracy, against plain majority vote. Run: node --import tsx bench/reviewers.ts [--seeds N]
//
// No data set in ../shared/data has several real annotators per item with known truth (it holds
// banking77, one label per text), so answers are simulated from confusion matrices:
//  1. "measured": the five anaesthetists' matrices and class shares as Dawid–Skene estimates them
//     from the real data of Dawid & Skene (1979, Table 1) — real people's error patterns, with the
//     truth known because we draw it;
//  2. "crowd": a plausible labelling crowd — 6 labels, 12 reviewers of accuracy 0.60–0.95 who
//     confuse neighbouring labels, one who answers at random, one who says the first label 70 %
//     of the time.
// Each scenario runs with 3 and 5 answers per item, over several seeds, and prints mean item
// accuracy (majority with random tie-breaks vs Dawid–Skene) and how far each method's estimate of
// a reviewer's accuracy lies from the truth (majority: the reviewer's agreement with the majority
// label; Dawid–Skene: Σ prior · diagonal of the fitted matrix).
import { parseArgs } from 'node:util';
import type { Rating } from '../src/core/agreement.ts';
import { seededRandom } from '../src/core/estimate.ts';
import { dawidSkene, majorityVote, type ReviewerModel } from '../src/core/reviewerAccuracy.ts';
import { anaesthesia } from '../src/core/reviewerAccuracy.fixture.ts';
import { simulateRatings, type SimulatedReviewer } from '../src/core/simulateRatings.ts';

interface Scenario {
  name: string;
  labels: string[];
  priors: number[];
  reviewers: SimulatedReviewer[];
  items: number;
}

function fitted(ratings: readonly Rating[], labels?: string[]): ReviewerModel {
  const m = dawidSkene(ratings, labels ? { labels } : {});
  if (m.kind !== 'ok') throw new Error(`Dawid–Skene: ${m.message}`);
  return m;
}

function measuredScenario(): Scenario {
  const m = fitted(anaesthesia);
  return { name: 'measured (Dawid & Skene 1979 anaesthetists)', labels: m.labels, priors: m.priors, reviewers: m.reviewers.map((r) => ({ rater: r.rater, confusion: r.confusion })), items: 2000 };
}

function crowdScenario(): Scenario {
  const labels = ['a', 'b', 'c', 'd', 'e', 'f'];
  const K = labels.length;
  const reviewers: SimulatedReviewer[] = [];
  for (let r = 0; r < 12; r++) {
    const accuracy = 0.6 + (0.35 * r) / 11;
    // Most mistakes go to the next label (labels that resemble each other), the rest spread out.
    const confusion = Array.from({ length: K }, (_, k) =>
      Array.from({ length: K }, (_, l) => (l === k ? accuracy : l === (k + 1) % K ? (1 - accuracy) * 0.7 : ((1 - accuracy) * 0.3) / (K - 2))),
    );
    reviewers.push({ rater: `crowd${String(r).padStart(2, '0')} (${accuracy.toFixed(2)})`, confusion });
  }
  reviewers.push({ rater: 'random', confusion: Array.from({ length: K }, () => new Array<number>(K).fill(1 / K)) });
  reviewers.push({ rater: 'says-a', confusion: Array.from({ length: K }, (_, k) => Array.from({ length: K }, (_, l) => (l === 0 ? 0.7 : 0) + (l === k ? 0.3 : 0))) });
  return { name: 'crowd (6 labels, 14 reviewers incl. a random and a biased one)', labels, priors: [0.3, 0.25, 0.15, 0.12, 0.1, 0.08], reviewers, items: 2000 };
}

const trueAccuracy = (s: Scenario, r: SimulatedReviewer): number => s.priors.reduce((sum, p, k) => sum + p * r.confusion[k]![k]!, 0);
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: readonly number[]): number => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

interface Run {
  majority: number;
  dawidSkene: number;
  /** Mean absolute error of per-reviewer accuracy estimates. */
  majorityReviewerError: number;
  dsReviewerError: number;
  perReviewer: Array<{ rater: string; truth: number; majority: number; dawidSkene: number }>;
  iterations: number;
  ms: number;
}

function runOnce(s: Scenario, perItem: number, seed: number): Run {
  const sim = simulateRatings({ labels: s.labels, priors: s.priors, reviewers: s.reviewers, items: s.items, perItem, seed });
  const t0 = performance.now();
  const m = fitted(sim.ratings, s.labels);
  const ms = performance.now() - t0;
  const mv = majorityVote(sim.ratings, seededRandom(seed + 1000));
  const right = (pairs: Iterable<[string, string]>): number => {
    let n = 0;
    let ok = 0;
    for (const [item, label] of pairs) {
      n++;
      if (sim.truth.get(item) === label) ok++;
    }
    return ok / n;
  };
  const agreeWithMajority = new Map<string, { agree: number; n: number }>();
  for (const r of sim.ratings) {
    const a = agreeWithMajority.get(r.rater) ?? { agree: 0, n: 0 };
    a.n++;
    if (mv.get(r.item) === r.label) a.agree++;
    agreeWithMajority.set(r.rater, a);
  }
  const perReviewer = s.reviewers.map((r) => {
    const a = agreeWithMajority.get(r.rater)!;
    return { rater: r.rater, truth: trueAccuracy(s, r), majority: a.agree / a.n, dawidSkene: m.reviewers.find((e) => e.rater === r.rater)!.accuracy };
  });
  return {
    majority: right(mv),
    dawidSkene: right(m.items.map((i) => [i.item, i.label] as [string, string])),
    majorityReviewerError: mean(perReviewer.map((p) => Math.abs(p.majority - p.truth))),
    dsReviewerError: mean(perReviewer.map((p) => Math.abs(p.dawidSkene - p.truth))),
    perReviewer,
    iterations: m.iterations,
    ms,
  };
}

function main(): void {
  const { values } = parseArgs({ options: { seeds: { type: 'string', default: '10' } } });
  const seeds = Number(values.seeds);
  if (!Number.isInteger(seeds) || seeds < 1 || seeds > 1000) {
    process.stderr.write('--seeds must be a whole number from 1 to 1000\n');
    process.exit(2);
  }
  const real = fitted(anaesthesia);
  const realMajority = majorityVote(anaesthesia);
  const differ = real.items.filter((i) => realMajority.get(i.item) !== i.label).length;
  console.log(`Real data, Dawid & Skene (1979) Table 1 (45 patients, no truth): Dawid–Skene and majority label differ on ${differ} patients;`);
  console.log(`  fitted class shares ${real.priors.map((p) => p.toFixed(3)).join(', ')}; ${real.iterations} iterations.\n`);

  const summary: Array<Record<string, unknown>> = [];
  for (const scenario of [measuredScenario(), crowdScenario()]) {
    for (const perItem of [3, 5]) {
      const runs = Array.from({ length: seeds }, (_, s) => runOnce(scenario, perItem, s + 1));
      const mv = runs.map((r) => r.majority);
      const ds = runs.map((r) => r.dawidSkene);
      const wins = runs.filter((r) => r.dawidSkene > r.majority).length;
      console.log(`${scenario.name}, ${scenario.items} items, ${perItem} answers per item, ${seeds} seeds`);
      console.log(`  item accuracy     majority ${pct(mean(mv))} (sd ${pct(sd(mv))})   Dawid–Skene ${pct(mean(ds))} (sd ${pct(sd(ds))})   DS better on ${wins}/${seeds} seeds`);
      console.log(
        `  reviewer accuracy mean |error|: agreement-with-majority ${pct(mean(runs.map((r) => r.majorityReviewerError)))}, Dawid–Skene ${pct(mean(runs.map((r) => r.dsReviewerError)))}`,
      );
      console.log(`  EM: ${mean(runs.map((r) => r.iterations)).toFixed(0)} iterations, ${mean(runs.map((r) => r.ms)).toFixed(0)} ms per fit on average`);
      console.log(`  per reviewer (seed 1): true / majority-agreement / Dawid–Skene accuracy`);
      for (const p of runs[0]!.perReviewer) console.log(`    ${p.rater.padEnd(20)} ${pct(p.truth).padStart(7)} ${pct(p.majority).padStart(7)} ${pct(p.dawidSkene).padStart(7)}`);
      console.log('');
      summary.push({
        scenario: scenario.name,
        perItem,
        seeds,
        majority: Number(mean(mv).toFixed(4)),
        dawidSkene: Number(mean(ds).toFixed(4)),
        majorityReviewerMAE: Number(mean(runs.map((r) => r.majorityReviewerError)).toFixed(4)),
        dawidSkeneReviewerMAE: Number(mean(runs.map((r) => r.dsReviewerError)).toFixed(4)),
      });
    }
  }
  console.log(JSON.stringify(summary));
}

main();
