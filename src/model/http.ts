// The `http` model adapter: POSTs the item to a scoring URL and expects label probabilities back.
// A model that fails (timeout, error status, garbage) yields a prediction with `error` set, so the
// item goes to people with the reason recorded: a model failure never loses an item.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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
  let res: { status: number; body: string };
  try {
    res = await postJson(url, JSON.stringify(req), timeoutMs);
  } catch (err) {
    return failed(err instanceof ModelTimeout ? `model did not answer within ${timeoutMs} ms` : `model unreachable: ${describe(err)}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    return failed(`model answered ${res.status} with a body that is not JSON`);
  }
  if (res.status < 200 || res.status > 299) return failed(`model answered HTTP ${res.status}`);
  const parsed = scoringResponse.safeParse(body);
  if (!parsed.success) return failed('model answer is not {"labels": {label: probability}}');
  return toPrediction(parsed.data.labels, parsed.data.explanation ?? [], model);
}

class ModelTimeout extends Error {}

// Keep-alive agents: on the automatic path every item is one call to the model, and fetch's
// streams, abort signals and per-call allocations cost about as much as the rest of a submit.
const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 64 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }) };
const maxBody = 1024 * 1024;

function postJson(url: string, body: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    let settled = false;
    let failure: Error | null = null;
    const settle = (err: Error | null, value?: { status: number; body: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value!);
    };
    const req = send(target, {
      method: 'POST',
      agent: secure ? agents.https : agents.http,
      headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    const abort = (err: Error) => {
      failure = err;
      req.destroy(err);
      settle(err);
    };
    const timer = setTimeout(() => abort(new ModelTimeout()), timeoutMs);
    req.once('error', (err) => settle(failure ?? err));
    // A connection that closes before the answer is complete is a failure, whatever caused it.
    req.once('close', () => settle(failure ?? new Error('the connection closed before the answer was complete')));
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBody) abort(new Error('model answer larger than 1 MiB'));
        else chunks.push(c);
      });
      res.once('end', () => settle(null, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.once('error', (err) => settle(failure ?? err));
    });
    req.end(body);
  });
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
