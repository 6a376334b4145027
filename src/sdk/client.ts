// A small typed client over fetch: submit an item, read it, wait for its decision. Only web
// standards (fetch, AbortSignal), so it runs in Node 20 and in browsers.
import type { Decision, DecisionRead, Item, ItemInput, Problem, Submitted } from './types.ts';

export interface ClientOptions {
  /** Where Tandem serves, e.g. http://127.0.0.1:3000 */
  baseUrl: string;
  /** An API key (tandem keys create) or a person's session token. */
  token: string;
  /** Another fetch (a proxy agent, a test double of the network); the global fetch by default. */
  fetch?: typeof fetch;
}

export interface WaitOptions {
  /** Give up after this long (default 10 minutes): waitForDecision throws DecisionTimeoutError. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Seconds one long poll is held by the server (1 to 60, default 25), below most proxies' idle limits. */
  pollSeconds?: number;
}

/** The server refused a request: status and its RFC 9457 problem document. */
export class TandemError extends Error {
  override readonly name = 'TandemError';
  constructor(readonly status: number, readonly problem: Problem) {
    super(`${status} ${problem.title ?? 'error'}${problem.detail ? `: ${problem.detail}` : ''}`);
  }
}

export class DecisionTimeoutError extends Error {
  override readonly name = 'DecisionTimeoutError';
  constructor(readonly itemId: string, readonly timeoutMs: number) {
    super(`no decision on item ${itemId} within ${timeoutMs} ms`);
  }
}

export interface Client {
  submit(workflow: string, item: ItemInput, options?: { idempotencyKey?: string; signal?: AbortSignal }): Promise<Submitted>;
  get(itemId: string, options?: { signal?: AbortSignal }): Promise<Item>;
  /** Long-polls until the item is decided; network errors and 5xx/429 are retried with backoff. */
  waitForDecision(itemId: string, options?: WaitOptions): Promise<Decision>;
}

// Answers worth trying again: the server or a proxy in between was briefly unavailable.
const transient = (status: number) => status === 429 || status === 502 || status === 503 || status === 504;

export function createClient(options: ClientOptions): Client {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  const call = async <T>(method: string, path: string, init: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal | undefined }): Promise<{ status: number; body: T }> => {
    const res = await doFetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.token}`,
        accept: 'application/json',
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      ...(init.signal ? { signal: init.signal } : {}),
    });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = { title: text.slice(0, 200) };
    }
    if (!res.ok) throw new TandemError(res.status, (body ?? {}) as Problem);
    return { status: res.status, body: body as T };
  };

  const id = (itemId: string) => encodeURIComponent(itemId);

  return {
    async submit(workflow, item, o = {}) {
      const r = await call<Omit<Submitted, 'created'>>('POST', `/v1/workflows/${encodeURIComponent(workflow)}/items`, {
        body: item,
        headers: o.idempotencyKey !== undefined ? { 'idempotency-key': o.idempotencyKey } : {},
        signal: o.signal,
      });
      return { ...r.body, created: r.status === 201 };
    },

    async get(itemId, o = {}) {
      return (await call<Item>('GET', `/v1/items/${id(itemId)}`, { signal: o.signal })).body;
    },

    async waitForDecision(itemId, o = {}) {
      const timeoutMs = o.timeoutMs ?? 600_000;
      const pollSeconds = Math.min(60, Math.max(1, o.pollSeconds ?? 25));
      const deadline = Date.now() + timeoutMs;
      let failures = 0;
      for (;;) {
        o.signal?.throwIfAborted();
        const left = deadline - Date.now();
        if (left <= 0) throw new DecisionTimeoutError(itemId, timeoutMs);
        const wait = Math.min(pollSeconds, Math.ceil(left / 1000));
        // A poll that outlives its wait by far is a dead connection nobody closed: drop it and reconnect.
        const stuck = AbortSignal.timeout(wait * 1000 + 10_000);
        const signal = o.signal ? AbortSignal.any([o.signal, stuck]) : stuck;
        try {
          const r = await call<DecisionRead>('GET', `/v1/items/${id(itemId)}/decision?wait=${wait}`, { signal });
          failures = 0;
          if (r.body.status === 'decided' && r.body.decision) return r.body.decision;
          // Decided but not shown to this caller yet (a blind-mode suggestion under audit): the server
          // answers at once, so pause rather than spin.
          if (r.body.status === 'decided') await sleep(Math.min(1000, Math.max(0, deadline - Date.now())), o.signal);
        } catch (err) {
          o.signal?.throwIfAborted();
          if (err instanceof TandemError && !transient(err.status)) throw err;
          // Exponential backoff with full jitter, 250 ms doubling up to 10 s, never past the deadline.
          const cap = Math.min(10_000, 250 * 2 ** Math.min(failures++, 10));
          await sleep(Math.min(Math.random() * cap, Math.max(0, deadline - Date.now())), o.signal);
        }
      }
    },
  };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
