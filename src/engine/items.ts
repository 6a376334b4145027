// Reading an item: its whole audit trail, and its decision (waiting for it when asked to).
import type { Prediction, Route } from '../core/types.ts';
import { listItemAnswers, type AnswerRow } from '../store/answers.ts';
import { latestDecision, listDecisions, type DecisionRow } from '../store/decisions.ts';
import { listItemEvents, type EventRow } from '../store/events.ts';
import { getItem, type ItemRow } from '../store/items.ts';
import { listItemTasks, type TaskRow } from '../store/tasks.ts';
import { suggestionHidden, withoutSuggestion } from './blind.ts';
import type { Engine } from './engine.ts';
import { notFound } from './errors.ts';
import { isLead, mayAccess, type Principal } from './principals.ts';

export interface ItemHistory {
  item: ItemRow;
  prediction: Prediction | null;
  route: Route;
  tasks: TaskRow[];
  answers: AnswerRow[];
  decisions: DecisionRow[];
  events: EventRow[];
  /** Blind mode: the machine's suggestion was left out for this caller (see blind.ts). */
  suggestionHidden: boolean;
}

export async function readItem(engine: Engine, principal: Principal, id: string): Promise<ItemRow> {
  const item = await getItem(engine.db, id);
  // An item of a workflow the caller may not see does not exist for them.
  if (!item || !mayAccess(principal, item.workflow)) throw notFound(`no item ${id}`);
  return item;
}

export async function itemHistory(engine: Engine, principal: Principal, id: string): Promise<ItemHistory> {
  const item = await readItem(engine, principal, id);
  const [tasks, answers, decisions, events] = await Promise.all([
    listItemTasks(engine.db, id),
    listItemAnswers(engine.db, id),
    listDecisions(engine.db, id),
    listItemEvents(engine.db, id),
  ]);
  const history = { item, prediction: item.prediction as Prediction | null, route: item.route as Route, tasks, answers, decisions, events, suggestionHidden: false };
  if (isLead(principal)) return history;
  const wf = await engine.workflows.get(engine.db, item.workflow);
  const blind = wf.spec.blindMode && principal.kind === 'person' && suggestionHidden(history, principal.reviewer.id);
  return withoutGold(blind ? withoutSuggestion(history) : history);
}

/** Gold is unannounced: to anyone but a lead, gold tasks read as review work and their scores are not there. */
function withoutGold(h: ItemHistory): ItemHistory {
  return {
    ...h,
    tasks: h.tasks.map((t) => (t.kind === 'gold' ? { ...t, kind: 'review', reason: 'needs a person' } : t)),
    events: h.events
      .filter((e) => e.type !== 'gold.scored')
      .map((e) => (e.payload.kind === 'gold' ? { ...e, payload: { ...e.payload, kind: 'review' } } : e))
      .map((e) => (e.payload.gold === true ? { ...e, payload: Object.fromEntries(Object.entries(e.payload).filter(([k]) => k !== 'gold')) } : e)),
  };
}

/** The item's current decision; with waitMs > 0, waits up to that long for one to be made. */
export async function awaitDecision(
  engine: Engine,
  principal: Principal,
  id: string,
  waitMs: number,
  signal?: AbortSignal,
): Promise<{ item: ItemRow; decision: DecisionRow | null }> {
  const item = await readItem(engine, principal, id);
  let decision = await latestDecision(engine.db, id);
  const deadline = Date.now() + waitMs;
  while (!decision && Date.now() < deadline && !signal?.aborted) {
    // Listen first, then read: a decision committed between the two still wakes us. Slices of
    // at most 5 s re-read the row in case a notification was lost (e.g. a reconnect).
    const slice = new AbortController();
    const stop = () => slice.abort();
    signal?.addEventListener('abort', stop);
    const woken = engine.waiters.wait(id, Math.min(deadline - Date.now(), 5000), slice.signal);
    decision = await latestDecision(engine.db, id);
    if (decision) slice.abort();
    await woken;
    signal?.removeEventListener('abort', stop);
    decision ??= await latestDecision(engine.db, id);
  }
  return { item: decision ? { ...item, status: 'decided' } : item, decision };
}
