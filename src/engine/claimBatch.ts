// Claims that arrive together in one process and ask for the same work (workflows, queue, skills,
// escalations, lease length) are served together: one statement leases a task to each claimer
// (store/tasks.ts claimNextTasks), instead of a statement each. A claimer the set could not serve
// asks again alone: the set leaves out votes any of its claimers gave, so its shortfall is not
// proof that the queue is empty for that claimer. The same person twice in a set (two tabs) asks
// alone too, so that one person never gets two votes on one item.
import type { Queryable } from '../store/db.ts';
import { claimNextTask, claimNextTasks, type ClaimFilter, type ClaimedRow, type SharedClaimFilter } from '../store/tasks.ts';
import { createBatcher } from './batcher.ts';

export interface ClaimBatcher {
  claim(f: ClaimFilter): Promise<ClaimedRow | null>;
  /** The most claimers served by one statement so far. */
  readonly largestSet: number;
}

const keyOf = (f: SharedClaimFilter) =>
  JSON.stringify([f.workflows, f.workflow, f.queue, [...f.skills].sort(), f.mayTakeEscalations, f.leaseSeconds]);

export function createClaimBatcher(db: Queryable, inFlight = 2, max = 64): ClaimBatcher {
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
      [...groups.values()].map(async (members) => {
        const seen = new Set<string>();
        const set = members.filter((i) => {
          const r = filters[i]!.reviewerId;
          if (seen.has(r)) {
            alone.push(i);
            return false;
          }
          seen.add(r);
          return true;
        });
        const { reviewerId: _, ...shared } = filters[set[0]!]!;
        let served: Array<ClaimedRow | null>;
        try {
          served = await claimNextTasks(db, shared, set.map((i) => filters[i]!.reviewerId));
        } catch {
          // Nothing was leased: each claim goes alone, which reports its own error.
          served = set.map(() => null);
        }
        largestSet = Math.max(largestSet, served.filter((c) => c !== null).length);
        set.forEach((i, k) => {
          const c = served[k] ?? null;
          // A set of one is the claim alone: its null is final.
          if (c !== null || set.length === 1) out[i] = c;
          else alone.push(i);
        });
      }),
    );
    for (const i of alone) out[i] = await claimNextTask(db, filters[i]!);
    return out.map((c) => c ?? null);
  };
  const claim = createBatcher(serveSet, inFlight, max);
  return {
    claim,
    get largestSet() {
      return largestSet;
    },
  };
}
