// Answers on review tasks that arrive together in one process settle together: one transaction of
// two statements for the lot (close the leases and record the answers, then append the decisions),
// instead of four round trips each. The one-by-one path (engine/work.ts) stays for everything
// else, and takes over any answer the set could not settle: a lease that is no longer the
// caller's (it explains why), or a set that failed as a whole (a decision-version race with a
// lead's correction, a second answer on one item), which it then settles or refuses alone.
import type { Outcome } from '../core/types.ts';
import type { Db } from '../store/db.ts';
import type { DecisionRow } from '../store/decisions.ts';
import { closeLeasesAnswered, type AnswerRecord, type Lease, type TaskRow } from '../store/tasks.ts';
import { createBatcher } from './batcher.ts';
import { settleReviews } from './decide.ts';
import type { CompiledWorkflow } from './workflows.ts';

export interface ReviewAnswer {
  lease: Lease;
  answer: AnswerRecord;
  wf: CompiledWorkflow;
  outcome: Outcome;
  actor: string;
}

export interface ReviewSettled {
  task: TaskRow;
  decision: DecisionRow;
}

export interface ReviewAnswerBatcher {
  /** The answer settled with others; null when it must go the one-by-one way. */
  settle(a: ReviewAnswer): Promise<ReviewSettled | null>;
  /** The most answers settled in one set so far. */
  readonly largestSet: number;
}

/** Sets form as engine/batcher.ts forms batches: under load they grow, and a lone answer goes at once. */
export function createReviewAnswerBatcher(db: Db, inFlight = 4, max = 64): ReviewAnswerBatcher {
  let largestSet = 0;
  const settle = createBatcher<ReviewAnswer, ReviewSettled | null>(async (set) => {
    try {
      return await db.transaction(async (tx) => {
        // The set's two statements are prepared; left to choose, Postgres plans them anew for
        // every set (an array parameter looks larger to a generic plan than to one made for its
        // values), which cost more CPU than running them. Their generic plans are index lookups.
        await tx.query('SET LOCAL plan_cache_mode = force_generic_plan');
        const closed = await closeLeasesAnswered(tx, set);
        const open = set.flatMap((a, i) => {
          const c = closed[i];
          return c ? [{ a, c, i }] : [];
        });
        const decisions = open.length === 0 ? [] : await settleReviews(tx, open.map(({ a, c }) => ({ wf: a.wf, item: c.item, outcome: a.outcome, actor: a.actor })));
        const out: Array<ReviewSettled | null> = set.map(() => null);
        open.forEach(({ c, i }, k) => (out[i] = { task: c.task, decision: decisions[k]! }));
        largestSet = Math.max(largestSet, open.length);
        return out;
      });
    } catch {
      // Nothing of the set was written: each answer goes the one-by-one way, which reports its own error.
      return set.map(() => null);
    }
  }, inFlight, max);
  return {
    settle,
    get largestSet() {
      return largestSet;
    },
  };
}
