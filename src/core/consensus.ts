// When a workflow asks several people, their answers must be settled into one outcome — or
// found to disagree, so a lead looks. Pure, so the same answers always settle the same way
// whatever order they arrived in.
import type { Outcome } from './types.ts';
// Sorted keys, so two edits that differ only in key order count as the same edit.
import { canonicalJson } from './canonicalJson.ts';

export type ConsensusRule = 'majority' | 'unanimous';

export interface Tally {
  outcome: Outcome;
  votes: number;
}

export type Consensus =
  | { status: 'pending' }
  | { status: 'agreed'; outcome: Outcome; votes: number }
  | { status: 'disagreed'; tally: Tally[] };

/** A string that is equal for two outcomes exactly when they count as the same vote. */
function outcomeKey(o: Outcome): string {
  switch (o.type) {
    case 'label':
      return `label:${o.label}`;
    case 'text':
      return `text:${o.text}`;
    case 'reply':
      return `reply:${o.text}`;
    case 'approve':
      return o.verdict === 'edit' ? `edit:${canonicalJson(o.edited)}` : `verdict:${o.verdict}`;
  }
}

export function sameOutcome(a: Outcome, b: Outcome): boolean {
  return outcomeKey(a) === outcomeKey(b);
}

/** Votes per distinct outcome, most votes first, ties in a fixed order. */
export function tallyOutcomes(answers: Outcome[]): Tally[] {
  const byKey = new Map<string, Tally>();
  for (const a of answers) {
    const k = outcomeKey(a);
    const t = byKey.get(k);
    if (t) t.votes++;
    else byKey.set(k, { outcome: a, votes: 1 });
  }
  return [...byKey.entries()]
    .sort(([ka, a], [kb, b]) => b.votes - a.votes || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .map(([, t]) => t);
}

/**
 * Settles the answers once `needed` have arrived. Answers beyond `needed` (a late reviewer
 * after a lease expired) are counted too, and a majority is then over all of them, so two
 * outcomes can never both have one.
 */
export function settleConsensus(answers: Outcome[], needed: number, rule: ConsensusRule): Consensus {
  const want = Math.max(1, Math.ceil(needed));
  if (answers.length < want) return { status: 'pending' };
  const tally = tallyOutcomes(answers);
  const top = tally[0] as Tally;
  const agreed = rule === 'unanimous' ? tally.length === 1 : top.votes * 2 > Math.max(want, answers.length);
  return agreed ? { status: 'agreed', outcome: top.outcome, votes: top.votes } : { status: 'disagreed', tally };
}

/**
 * The weight of a vote from a reviewer right `correct` times in `answered` gold answers, among
 * `labels` possible answers: log(p (k − 1) / (1 − p)), the weight that makes a weighted majority
 * the most likely to be right when each reviewer errs uniformly over the wrong labels (Nitzan &
 * Paroush 1982; the same log-odds Dawid–Skene's posterior adds up for a symmetric confusion
 * matrix). p is smoothed (Laplace: (correct + 1) / (answered + 2)) so that a reviewer with little
 * gold counts about as much as anyone, and a reviewer no better than chance counts nothing.
 */
export function voteWeight(correct: number, answered: number, labels: number): number {
  if (!(Number.isInteger(correct) && Number.isInteger(answered) && correct >= 0 && correct <= answered)) throw new RangeError(`need 0 ≤ correct ≤ answered, got ${correct} of ${answered}`);
  if (!(labels >= 2)) throw new RangeError(`need at least two labels, got ${labels}`);
  const p = (correct + 1) / (answered + 2);
  return Math.max(0, Math.log((p * (labels - 1)) / (1 - p)));
}

/**
 * Like settleConsensus, but under `majority` an outcome wins with more than half of the total
 * weight rather than of the votes. Equal weights settle exactly as settleConsensus does; when
 * every weight is 0 (nobody better than chance), the votes count equally. `unanimous` ignores weights.
 */
export function settleWeightedConsensus(answers: ReadonlyArray<{ outcome: Outcome; weight: number }>, needed: number, rule: ConsensusRule): Consensus {
  const plain = settleConsensus(answers.map((a) => a.outcome), needed, rule);
  if (plain.status === 'pending' || rule === 'unanimous') return plain;
  const total = answers.reduce((s, a) => s + a.weight, 0);
  if (!(total > 0)) return plain;
  const tally = tallyOutcomes(answers.map((a) => a.outcome));
  const weightOf = (o: Outcome) => answers.reduce((s, a) => s + (sameOutcome(a.outcome, o) ? a.weight : 0), 0);
  const best = tally.map((t) => ({ ...t, weight: weightOf(t.outcome) })).sort((a, b) => b.weight - a.weight)[0]!;
  // A tie must stay a tie whatever the rounding of the sums: half the weight is not more than half.
  return best.weight * 2 > total * (1 + 1e-9) ? { status: 'agreed', outcome: best.outcome, votes: best.votes } : { status: 'disagreed', tally };
}

/**
 * The weight of an answer `answered` (an index into the label set) from a reviewer whose
 * confusion matrix Dawid–Skene estimated (confusion[k][l]: the chance they answer l when the
 * truth is k): log(confusion[l][l] / mean over k ≠ l of confusion[k][l]), how much likelier that
 * answer is when it is right than when it is wrong. For a reviewer who errs uniformly with
 * accuracy p this is voteWeight's log(p (k − 1) / (1 − p)), and with two labels it is exactly the
 * term Dawid–Skene's posterior adds for the answer. A reviewer who gives the answer as often when
 * it is wrong (one who always clicks the same label) weighs nothing; never below 0.
 */
export function estimatedVoteWeight(confusion: readonly (readonly number[])[], answered: number): number {
  const k = confusion.length;
  if (k < 2) throw new RangeError(`need at least two labels, got ${k}`);
  if (!(Number.isInteger(answered) && answered >= 0 && answered < k)) throw new RangeError(`answer index ${answered} is outside 0..${k - 1}`);
  for (const row of confusion) {
    if (row.length !== k || row.some((x) => !(x >= 0 && x <= 1))) throw new RangeError('a confusion matrix is square with probabilities in [0, 1]');
  }
  const right = confusion[answered]![answered]!;
  let wrong = 0;
  for (let t = 0; t < k; t++) if (t !== answered) wrong += confusion[t]![answered]!;
  wrong /= k - 1;
  if (right === 0) return 0;
  // Dawid–Skene smooths every cell, so 0 here means a hand-made matrix: a sure answer, capped.
  if (wrong === 0) return MAX_ESTIMATED_WEIGHT;
  return Math.min(MAX_ESTIMATED_WEIGHT, Math.max(0, Math.log(right / wrong)));
}

/** A vote worth e^20 to one against: no reviewer is that sure, and no one vote should outweigh every other. */
export const MAX_ESTIMATED_WEIGHT = 20;
