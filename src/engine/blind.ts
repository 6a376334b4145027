// Blind mode: a reviewer answers without seeing what the machine suggested (automation bias).
// The route still says why the item is here, with every trace of the machine's label removed.
import type { Reason, Route } from '../core/types.ts';

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
