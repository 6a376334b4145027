// The `http` model adapter: POSTs the item to a scoring URL and expects label probabilities back.
// A model that fails (timeout, error status, garbage) yields a prediction with `error` set, so the
// item goes to people with the reason recorded: a model failure never loses an item.
import { z } from 'zod';
import type { Prediction } from '../core/types.ts';

export interface ScoringRequest {
  workflow: string;
  text: string | null;
  fields: Record<string, unknown>;
  metadata: Record<string, unknown>;
  labels: string[];
}

const scoringResponse = z.object({
  labels: z.record(z.string(), z.number().min(0).max(1)),
  explanation: z.array(z.string().max(500)).max(50).optional(),
});

export async function scoreOverHttp(url: string, timeoutMs: number, req: ScoringRequest): Promise<Prediction> {
  const model = `http:${url}`;
  const failed = (error: string): Prediction => ({ labels: {}, label: null, confidence: null, explanation: [], model, error });
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(req),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return failed(timedOut ? `model did not answer within ${timeoutMs} ms` : `model unreachable: ${describe(err)}`);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    return failed(`model answered ${res.status} with a body that is not JSON`);
  }
  if (!res.ok) return failed(`model answered HTTP ${res.status}`);
  const parsed = scoringResponse.safeParse(body);
  if (!parsed.success) return failed('model answer is not {"labels": {label: probability}}');
  return toPrediction(parsed.data.labels, parsed.data.explanation ?? [], model);
}

/** Normalises raw scores to a distribution and picks the most probable label. */
export function toPrediction(scores: Record<string, number>, explanation: string[], model: string): Prediction {
  const total = Object.values(scores).reduce((a, b) => a + b, 0);
  if (!(total > 0)) return { labels: {}, label: null, confidence: null, explanation, model, error: 'model gave no probability mass' };
  const labels: Record<string, number> = {};
  let best: string | null = null;
  for (const [label, p] of Object.entries(scores)) {
    labels[label] = p / total;
    if (best === null || labels[label]! > labels[best]!) best = label;
  }
  return { labels, label: best, confidence: best === null ? null : labels[best]!, explanation, model };
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : err.message;
  }
  return String(err);
}
