// The surge policy as the simulator runs it: core/surge's state, next-state and routing
// functions behind the simulator's SurgeController, so "with the surge policy" in a simulation
// is the very code the engine runs. Each tick's load becomes the surge module's snapshot; the
// accuracy floors of the low-risk labels are estimated once, from the scored items the
// evidence the engine would have of the model (held-out and live outcomes).
import { decideRoute } from './policy.ts';
import type { SurgeController } from './simulation.ts';
import {
  baseSurgeState, compileSurge, floorThresholds, isBase, isDeferred, nextSurgeState, surgePolicy, surgePriorityBoost, type SurgeState,
} from './surge.ts';
import type { EvidenceItem } from './thresholds.ts';
import type { WorkflowSpec } from './workflow.ts';

/** The workflow's surge policy as a simulation controller; null when it declares none. */
export function surgeControllerFor(spec: WorkflowSpec, evidence: readonly EvidenceItem[]): SurgeController<SurgeState> | null {
  if (!spec.surge) return null;
  const compiled = compileSurge(spec.surge);
  const lower = spec.surge.lowerThresholds;
  const floors = lower
    ? floorThresholds(evidence, lower.labels, { floor: lower.accuracyFloor, minKnown: lower.minKnown })
    : undefined;
  return {
    initial: baseSurgeState,
    next: (state, load) =>
      nextSurgeState(spec, {
        at: load.atSeconds * 1000,
        queueDepth: load.queueDepth,
        arrivalsPerHour: load.arrivalsPerHour,
        humanShare: load.arrivalsPerHour > 0 ? load.humanArrivalsPerHour / load.arrivalsPerHour : 0,
        reviewersActive: load.reviewers,
        meanHandleSeconds: load.meanHandleSeconds,
        ...(floors ? { floors } : {}),
      }, state).state,
    route: (state, input) => {
      const route = decideRoute({ ...input, policy: surgePolicy(input.policy, compiled, state) });
      const item = {
        fields: input.fields,
        metadata: input.metadata,
        label: route.label,
        confidence: route.confidence,
        matchedRules: route.reasons.flatMap((r) => (r.code === 'rule' ? [r.name] : [])),
      };
      const boost = surgePriorityBoost(compiled, state, item);
      return { route: boost > 0 ? { ...route, priority: route.priority + boost } : route, deferred: isDeferred(compiled, state, item) };
    },
    defers: (state) => state.active.includes('defer'),
    active: (state) => !isBase(state),
    describe: (state) => (state.active.length === 0 ? 'normal' : state.active.join(' + ')),
  };
}
