// The machine: picks the adapter a workflow's model spec names.
import type { ModelSpec } from '../core/workflow.ts';
import type { Prediction } from '../core/types.ts';
import { scoreOverHttp, type ScoringRequest } from './http.ts';

/** The machine's prediction, or null when the workflow has no model (every item to people). */
export async function predict(spec: ModelSpec, req: ScoringRequest): Promise<Prediction | null> {
  switch (spec.type) {
    case 'none':
      return null;
    case 'http':
      return scoreOverHttp(spec.url, spec.timeoutMs, req);
  }
}
