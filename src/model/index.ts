// The machine's outside adapters, picked by the workflow's model spec (the built-in model, which
// lives in the database, is served by the engine's model registry).
import type { ModelSpec } from '../core/workflow.ts';
import type { Prediction } from '../core/types.ts';
import { scoreOverHttp, type ScoringRequest } from './http.ts';
import { scoreWithOpenAI } from './openai.ts';

/** The machine's prediction, or null when the workflow has no model (every item to people). */
export async function predict(spec: Exclude<ModelSpec, { type: 'builtin' }>, req: ScoringRequest): Promise<Prediction | null> {
  switch (spec.type) {
    case 'none':
      return null;
    case 'http':
      return scoreOverHttp(spec.url, spec.timeoutMs, req);
    case 'openai':
      return scoreWithOpenAI({ baseUrl: spec.baseUrl, model: spec.model, apiKey: process.env[spec.apiKeyEnv] || undefined, timeoutMs: spec.timeoutMs }, req);
  }
}
