// Clients waiting for an item's decision. Woken by NOTIFY on `tandem_decision`, which any
// process on the same database sends when it commits a decision (one for a set of them).
import type { Db } from '../store/db.ts';
import { decidedItemsOf, decisionChannel } from '../store/events.ts';

export interface DecisionWaiters {
  /** Resolves when the item gets a decision or after `ms`, whichever is first; true if woken. */
  wait(itemId: string, ms: number, signal?: AbortSignal): Promise<boolean>;
  close(): Promise<void>;
}

export async function createDecisionWaiters(db: Db): Promise<DecisionWaiters> {
  const waiting = new Map<string, Set<() => void>>();
  const unlisten = await db.listen(decisionChannel, (payload) => {
    for (const itemId of decidedItemsOf(payload)) {
      const set = waiting.get(itemId);
      if (!set) continue;
      waiting.delete(itemId);
      for (const wake of set) wake();
    }
  });
  return {
    wait(itemId, ms, signal) {
      return new Promise<boolean>((resolve) => {
        let set = waiting.get(itemId);
        if (!set) {
          set = new Set();
          waiting.set(itemId, set);
        }
        const done = (woken: boolean) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          const s = waiting.get(itemId);
          s?.delete(wake);
          if (s && s.size === 0) waiting.delete(itemId);
          resolve(woken);
        };
        const wake = () => done(true);
        const onAbort = () => done(false);
        const timer = setTimeout(() => done(false), ms);
        signal?.addEventListener('abort', onAbort);
        set.add(wake);
      });
    },
    async close() {
      for (const set of waiting.values()) for (const wake of set) wake();
      waiting.clear();
      await unlisten();
    },
  };
}
