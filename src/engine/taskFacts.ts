// What never changes about a task once it is made (its workflow, item and kind), remembered per
// process from the claim that leased it. An answer or a heartbeat then needs no read of the task
// before its lease-guarded write, which checks the lease (owner, assignment, status) itself.
import type { TaskKind } from '../store/tasks.ts';

export interface TaskFacts {
  id: string;
  workflow: string;
  item_id: string;
  kind: TaskKind;
}

export interface TaskFactsMemo {
  remember(t: TaskFacts): void;
  get(id: string): TaskFacts | undefined;
  readonly size: number;
}

/**
 * Bounded: at most `max` tasks, and always the newest `max / 2` remembered (older ones are read
 * again if asked for). Kept in two generations rather than one map trimmed from its oldest end:
 * a V8 Map keeps deleted entries as holes until it is rebuilt, and `keys().next()` steps over all
 * of them, so trimming one task per claim took 2.4 % of the server's busy CPU samples in bench scale.
 */
export function createTaskFactsMemo(max = 10_000): TaskFactsMemo {
  const half = Math.max(1, Math.floor(max / 2));
  let young = new Map<string, TaskFacts>();
  let old = new Map<string, TaskFacts>();
  return {
    remember(t) {
      young.set(t.id, { id: t.id, workflow: t.workflow, item_id: t.item_id, kind: t.kind });
      if (young.size >= half) {
        old = young;
        young = new Map();
      }
    },
    get: (id) => young.get(id) ?? old.get(id),
    get size() {
      let n = young.size;
      for (const id of old.keys()) if (!young.has(id)) n += 1;
      return n;
    },
  };
}
