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
