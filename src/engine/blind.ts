// Blind mode: a reviewer answers without seeing what the machine suggested (automation bias).
// The route still says why the item is here, with every trace of the machine's label removed.
// The same holds wherever else a reviewer could read the item while its work is open (the item's
// history, item search): the suggestion appears once they have answered or the item is settled.
import type { Reason, Route } from '../core/types.ts';
import type { DecisionRow } from '../store/decisions.ts';
import type { EventRow } from '../store/events.ts';
import type { ItemHistory } from './items.ts';

function blindReason(r: Reason): Reason | { code: Reason['code'] } {
  switch (r.code) {
    case 'confident':
    case 'below_threshold':
    case 'unknown_label':
      return { code: r.code };
    default:
      return r;
  }
}

export function blindRoute(route: unknown): unknown {
  const r = route as Route;
  return { ...r, label: null, confidence: null, reasons: r.reasons.map(blindReason) };
}

const openWork = (h: Pick<ItemHistory, 'tasks'>) => h.tasks.some((t) => t.status === 'open' || t.status === 'leased');

/**
 * Whether a reviewer may not yet see the machine's suggestion for an item of a blind workflow:
 * until they have answered it themselves, while it is pending or still has open work (an audit of
 * a machine decision is open work whose answer the machine's label would bias).
 */
export function suggestionHidden(h: Pick<ItemHistory, 'item' | 'tasks' | 'answers'>, reviewerId: string): boolean {
  if (h.answers.some((a) => a.reviewer_id === reviewerId)) return false;
  return h.item.status === 'pending' || openWork(h);
}

/** Search hits: the machine's own decision says its label, so it is left out while work is open. */
export function hideMachineDecision(hit: { decision_source: string | null; open_work: boolean }): boolean {
  return hit.decision_source === 'machine' && hit.open_work;
}

const isMachineDecision = (d: DecisionRow) => d.source === 'machine';
const machineDecisionEvent = (e: EventRow) => e.type === 'decision.made' && e.payload.source === 'machine';

/** The history with the prediction, the route's label and confidence and the machine's decision taken out. */
export function withoutSuggestion(h: ItemHistory): ItemHistory {
  return {
    ...h,
    prediction: null,
    route: blindRoute(h.route) as Route,
    decisions: h.decisions.filter((d) => !isMachineDecision(d)),
    events: h.events
      .filter((e) => !machineDecisionEvent(e))
      .map((e) => (e.type === 'item.routed' ? { ...e, payload: { ...e.payload, reasons: (e.payload.reasons as Reason[] | undefined ?? []).map(blindReason) } } : e)),
    suggestionHidden: true,
  };
}
