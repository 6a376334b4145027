// Claims that arrive together in one process and ask for the same work (workflows, queue, skills,
// escalations, lease length) are served together: one statement leases a task to each claimer
// (store/tasks.ts claimNextTasks), instead of a statement each. A claimer the set could not serve
// asks again alone: the set leaves out votes any of its claimers gave, so its shortfall is not
// proof that the queue is empty for that claimer. One person's claims (two tabs) go one after the
// other, so that they never meet in a set or race each other to two votes on one item.
import type { Queryable } from '../store/db.ts';
import { claimNextTask, claimNextTasks, type ClaimFilter, type ClaimedRow, type SharedClaimFilter } from '../store/tasks.ts';
import { createBatcher } from './batcher.ts';
import type { IntakeFirst } from './intakeFirst.ts';

export interface ClaimBatcher {
  claim(f: ClaimFilter): Promise<ClaimedRow | null>;
  /** The most claimers served by one statement so far. */
  readonly largestSet: number;
}

const keyOf = (f: SharedClaimFilter) =>
  JSON.stringify([f.workflows, f.workflow, f.queue, [...f.skills].sort(), f.mayTakeEscalations, f.leaseSeconds]);

export function createClaimBatcher(db: Queryable, intakeFirst?: IntakeFirst): ClaimBatcher {
  let largestSet = 0;
  const serveSet = async (filters: ClaimFilter[]): Promise<Array<ClaimedRow | null>> => {
    const out: Array<ClaimedRow | null | undefined> = filters.map(() => undefined);
    const groups = new Map<string, number[]>();
    filters.forEach((f, i) => {
      const k = keyOf(f);
      groups.set(k, [...(groups.get(k) ?? []), i]);
    });
    const alone: number[] = [];
    await Promise.all(
      [...groups.values()].map(async (set) => {
        const { reviewerId: _, ...shared } = filters[set[0]!]!;
        let served: Array<ClaimedRow | null> | null;
        try {
          served = await claimNextTasks(db, shared, set.map((i) => filters[i]!.reviewerId));
        } catch {
          // Nothing was leased: each claim goes alone, which reports its own error.
          served = null;
        }
        largestSet = Math.max(largestSet, served?.filter((c) => c !== null).length ?? 0);
        set.forEach((i, k) => {
          const c = served?.[k] ?? null;
          // A set of one is the claim alone: its null is final.
          if (c !== null || (served !== null && set.length === 1)) out[i] = c;
          else alone.push(i);
        });
      }),
    );
    for (const i of alone) out[i] = await claimNextTask(db, filters[i]!);
    return out.map((c) => c ?? null);
  };
  const inSet = createBatcher(serveSet, { before: intakeFirst && (() => intakeFirst.yieldTo()) });
  const lastClaimOf = new Map<string, Promise<unknown>>();
  const claim = (f: ClaimFilter): Promise<ClaimedRow | null> => {
    const before = lastClaimOf.get(f.reviewerId);
    const mine = before ? before.then(() => inSet(f), () => inSet(f)) : inSet(f);
    lastClaimOf.set(f.reviewerId, mine);
    const forget = () => {
      if (lastClaimOf.get(f.reviewerId) === mine) lastClaimOf.delete(f.reviewerId);
    };
    mine.then(forget, forget);
    return mine;
  };
  return {
    claim,
    get largestSet() {
      return largestSet;
    },
  };
}
