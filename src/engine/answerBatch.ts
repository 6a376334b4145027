// Answers on review tasks that arrive together in one process settle together: one statement
// for the lot (store/reviewSets.ts) instead of four round trips each. The one-by-one path
// (engine/work.ts) stays for everything else, and takes over any answer the set could not settle:
// a lease that is no longer the caller's (it explains why), or a set that failed as a whole (a
// decision-version race with a lead's correction, a second answer on one item), which it then
// settles or refuses alone.
import type { Outcome } from '../core/types.ts';
import type { Db } from '../store/db.ts';
import { settleReviewSet, type ReviewSetResult } from '../store/reviewSets.ts';
import type { AnswerRecord, Lease } from '../store/tasks.ts';
import { createBatcher } from './batcher.ts';
import type { IntakeFirst } from './intakeFirst.ts';
import { reviewDecisionOf } from './decide.ts';

export interface ReviewAnswer {
  lease: Lease;
  answer: AnswerRecord;
  outcome: Outcome;
  actor: string;
}

export type ReviewSettled = ReviewSetResult;

export interface ReviewAnswerBatcher {
  /** The answer settled with others; null when it must go the one-by-one way. */
  settle(a: ReviewAnswer): Promise<ReviewSettled | null>;
  /** The most answers settled in one set so far. */
  readonly largestSet: number;
}

/** Sets form as engine/batcher.ts forms batches: under load they grow, and a lone answer goes at once. */
export function createReviewAnswerBatcher(db: Db, intakeFirst?: IntakeFirst): ReviewAnswerBatcher {
  let largestSet = 0;
  const settle = createBatcher<ReviewAnswer, ReviewSettled | null>(async (set) => {
    try {
      const settled = await settleReviewSet(db, set.map((a) => ({ lease: a.lease, answer: a.answer, ...reviewDecisionOf(a.outcome, a.actor) })));
      largestSet = Math.max(largestSet, settled.filter((s) => s !== null).length);
      return settled;
    } catch {
      // Nothing of the set was written: each answer goes the one-by-one way, which reports its own error.
      return set.map(() => null);
    }
  }, { before: intakeFirst && (() => intakeFirst.yieldTo()) });
  return {
    settle,
    get largestSet() {
      return largestSet;
    },
  };
}
