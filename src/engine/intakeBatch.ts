// Submits that arrive while others are at the database are written together: one statement for
// the set (store/items.ts insertRoutedItems) and one commit, so that their waits for the disk are
// shared. Nothing waits for a set to fill: a lone submit goes at once. One set is at the database
// at a time (engine/batcher.ts): under the mixed load of bench scale that took 1.35 times the
// pairs a second of four sets side by side, and more submits. A set that fails as a whole is
// written one item at a time, so that each reports its own error. While a set is out, the
// reviewers' sets hold back (engine/intakeFirst.ts).
import type { Queryable } from '../store/db.ts';
import { insertRoutedItem, insertRoutedItems, type RoutedItem } from '../store/items.ts';
import { createBatcher } from './batcher.ts';
import type { IntakeFirst } from './intakeFirst.ts';

export interface IntakeBatcher {
  /** The item written, or null when its idempotency key was taken. */
  insert(entry: RoutedItem): Promise<{ id: string; created_at: Date } | null>;
  /** The most items written by one statement so far. */
  readonly largestSet: number;
}

type Written = { id: string; created_at: Date } | null;

export function createIntakeBatcher(db: Queryable, intakeFirst?: IntakeFirst): IntakeBatcher {
  let largestSet = 0;
  const write = createBatcher<RoutedItem, { written: Written } | { error: unknown }>(async (set) => {
    intakeFirst?.enter();
    try {
      const written = await insertRoutedItems(db, set);
      largestSet = Math.max(largestSet, set.length);
      return written.map((w) => ({ written: w }));
    } catch {
      // Nothing of the set was written: each item alone, with its own outcome.
      return Promise.all(set.map((e) => insertRoutedItem(db, e.item, e.decision, e.tasks, e.events).then((w) => ({ written: w }), (error: unknown) => ({ error }))));
    } finally {
      intakeFirst?.leave();
    }
  });
  return {
    async insert(entry) {
      const r = await write(entry);
      if ('error' in r) throw r.error;
      return r.written;
    },
    get largestSet() {
      return largestSet;
    },
  };
}
