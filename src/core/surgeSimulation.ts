// The surge policy as the simulator runs it: adapts the surge module's state, next-state and
// routing functions to the simulator's SurgeController. Until the surge policy exists in this
// build there is none, and the simulator runs the plain policy only.
import type { SurgeController } from './simulation.ts';
import type { WorkflowSpec } from './workflow.ts';

export function surgeControllerFor(_spec: WorkflowSpec, _target: { withinSeconds: number }): SurgeController<unknown> | null {
  return null;
}
