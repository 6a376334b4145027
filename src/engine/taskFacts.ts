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

/** Bounded: past `max` tasks the oldest remembered is forgotten (and read again if it is asked for). */
export function createTaskFactsMemo(max = 10_000): TaskFactsMemo {
  const facts = new Map<string, TaskFacts>();
  return {
    remember(t) {
      facts.delete(t.id);
      facts.set(t.id, { id: t.id, workflow: t.workflow, item_id: t.item_id, kind: t.kind });
      if (facts.size > max) facts.delete(facts.keys().next().value!);
    },
    get: (id) => facts.get(id),
    get size() {
      return facts.size;
    },
  };
}
