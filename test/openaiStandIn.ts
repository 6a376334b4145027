// A local stand-in for an OpenAI-compatible chat-completions endpoint (the `openai` model type).
// It validates requests the way the real service does (auth first, then model, messages,
// response_format, logprobs) and answers in its shape, or misbehaves on request: an error status,
// a slow answer, garbage content, a body that is not JSON, no choices.
//
// Token logprobs are produced by a real (if tiny) generative story: the content is cut into tokens,
// and at each token of the label the probability of every next token is what the scripted label
// distribution gives the labels still possible after that prefix, grouped by the token each would
// be written with. So an adapter that reads logprobs right gets the scripted distribution back.
import { createServer, type IncomingMessage, type Server } from 'node:http';

export type StandInBehaviour =
  /** A well-formed answer; `confidence` is whatever the test wants written, valid or not. */
  | { kind: 'answer'; label: string; confidence?: unknown; evidence?: string[]; distribution?: Record<string, number>; tokenizer?: Tokenizer }
  /** A completion whose message content is exactly this (or null, with an optional refusal). */
  | { kind: 'content'; content: string | null; refusal?: string; finishReason?: string }
  | { kind: 'status'; status: number; message?: string; headers?: Record<string, string> }
  /** A raw HTTP body, e.g. an HTML error page from a proxy. */
  | { kind: 'body'; body: string; status?: number }
  | { kind: 'noChoices' }
  | { kind: 'slow'; ms: number; then: StandInBehaviour };

/** `split` cuts words into 4-letter pieces and punctuation apart; `glued` sticks punctuation to the next word, as BPE tokenizers do. */
export type Tokenizer = 'split' | 'glued';

export interface ChatRequest {
  model: string;
  messages: Array<{ role: string; content: string }>;
  temperature?: number;
  response_format?: { type: string };
  logprobs?: boolean;
  top_logprobs?: number;
  [key: string]: unknown;
}

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  /** Null when the body was not JSON. */
  body: ChatRequest | null;
}

export interface OpenAIStandIn {
  /** What a client uses as its base URL (ends in `/v1`). */
  baseUrl: string;
  requests: RecordedRequest[];
  /** Behaviour for requests whose last user message contains the key; `default` otherwise. */
  behave: Map<string, StandInBehaviour>;
  close(): Promise<void>;
}

export interface StandInOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>`, else 401. */
  apiKey?: string;
  /** Answer 400 to any request that asks for logprobs, as some models and servers do. */
  rejectLogprobs?: boolean;
}

export async function startOpenAIStandIn(defaultBehaviour: StandInBehaviour, options: StandInOptions = {}): Promise<OpenAIStandIn> {
  const behave = new Map<string, StandInBehaviour>([['default', defaultBehaviour]]);
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let sequence = 0;

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = null;
      try {
        body = JSON.parse(raw);
      } catch {
        body = null;
      }
      const path = (req.url ?? '').split('?')[0] ?? '';
      requests.push({ method: req.method ?? '', path, authorization: header(req, 'authorization'), body: isChatLike(body) ? body : null });

      const send = (status: number, payload: unknown, headers: Record<string, string> = {}) =>
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(payload));
      const invalid = (message: string, param: string | null = null) =>
        send(400, { error: { message, type: 'invalid_request_error', param, code: null } });

      if (req.method !== 'POST' || path !== '/v1/chat/completions') {
        return send(404, { error: { message: `Unknown request URL: ${req.method} ${path}`, type: 'invalid_request_error', param: null, code: 'unknown_url' } });
      }
      if (options.apiKey !== undefined) {
        const auth = header(req, 'authorization');
        if (auth !== `Bearer ${options.apiKey}`) {
          // The real service quotes the key it got (masked); quoting it whole makes a leak test bite.
          const given = auth?.replace(/^Bearer /, '') ?? '';
          return send(401, {
            error: {
              message: given ? `Incorrect API key provided: ${given}.` : "You didn't provide an API key.",
              type: 'invalid_request_error',
              param: null,
              code: 'invalid_api_key',
            },
          });
        }
      }
      if (body === null) return invalid('We could not parse the JSON body of your request.');
      const problem = validate(body);
      if (problem) return invalid(problem.message, problem.param);
      const chat = body as ChatRequest;
      if (options.rejectLogprobs && chat.logprobs) {
        return invalid('logprobs is not supported with this model.', 'logprobs');
      }

      const user = [...chat.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
      const key = [...behave.keys()].find((k) => k !== 'default' && user.includes(k));
      const respond = (b: StandInBehaviour): void => {
        switch (b.kind) {
          case 'slow': {
            const timer = setTimeout(() => {
              timers.delete(timer);
              if (!res.destroyed) respond(b.then);
            }, b.ms);
            timers.add(timer);
            return;
          }
          case 'status':
            return void send(b.status, { error: { message: b.message ?? 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } }, b.headers);
          case 'body':
            return void res.writeHead(b.status ?? 200, { 'content-type': 'text/html' }).end(b.body);
          case 'noChoices':
            return void send(200, completion(chat, [], ++sequence));
          case 'content':
            return void send(200, completion(chat, [{
              index: 0,
              message: { role: 'assistant', content: b.content, refusal: b.refusal ?? null },
              logprobs: null,
              finish_reason: b.finishReason ?? 'stop',
            }], ++sequence));
          case 'answer': {
            const content = JSON.stringify({
              label: b.label,
              ...(b.confidence !== undefined ? { confidence: b.confidence } : {}),
              evidence: b.evidence ?? [],
            });
            const logprobs = chat.logprobs && b.distribution
              ? { content: tokenLogprobs(content, b.label, b.distribution, b.tokenizer ?? 'split', chat.top_logprobs ?? 0), refusal: null }
              : null;
            return void send(200, completion(chat, [{
              index: 0,
              message: { role: 'assistant', content, refusal: null },
              logprobs,
              finish_reason: 'stop',
            }], ++sequence));
          }
        }
      };
      respond(behave.get(key ?? 'default')!);
    });
  });

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return {
    baseUrl: `http://127.0.0.1:${address.port}/v1`,
    requests,
    behave,
    close: () =>
      new Promise<void>((r) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function isChatLike(body: unknown): body is ChatRequest {
  return typeof body === 'object' && body !== null && !Array.isArray(body);
}

/** The checks the real endpoint makes that a client could get wrong. */
function validate(body: unknown): { message: string; param: string } | null {
  if (!isChatLike(body)) return { message: 'The request body must be a JSON object.', param: '' };
  if (typeof body.model !== 'string' || body.model === '') return { message: 'you must provide a model parameter', param: 'model' };
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return { message: "Invalid 'messages': expected a non-empty array.", param: 'messages' };
  }
  for (const [i, m] of (body.messages as unknown[]).entries()) {
    const ok = typeof m === 'object' && m !== null
      && ['system', 'developer', 'user', 'assistant'].includes(String((m as { role?: unknown }).role))
      && typeof (m as { content?: unknown }).content === 'string';
    if (!ok) return { message: `Invalid 'messages[${i}]': expected {role, content}.`, param: `messages[${i}]` };
  }
  if (body.temperature !== undefined && !(typeof body.temperature === 'number' && body.temperature >= 0 && body.temperature <= 2)) {
    return { message: "Invalid 'temperature': expected a number from 0 to 2.", param: 'temperature' };
  }
  const format = body.response_format;
  if (format !== undefined) {
    if (typeof format !== 'object' || format === null || !['text', 'json_object', 'json_schema'].includes(String(format.type))) {
      return { message: "Invalid 'response_format.type'.", param: 'response_format' };
    }
    if (format.type === 'json_object' && !body.messages.some((m) => /json/i.test(m.content))) {
      return { message: "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.", param: 'messages' };
    }
  }
  if (body.top_logprobs !== undefined) {
    if (!(Number.isInteger(body.top_logprobs) && body.top_logprobs >= 0 && body.top_logprobs <= 20)) {
      return { message: "Invalid 'top_logprobs': expected an integer from 0 to 20.", param: 'top_logprobs' };
    }
    if (body.logprobs !== true) return { message: 'logprobs must be set to true if top_logprobs is used.', param: 'top_logprobs' };
  }
  return null;
}

function completion(chat: ChatRequest, choices: unknown[], sequence: number) {
  const promptTokens = Math.ceil(chat.messages.reduce((n, m) => n + m.content.length, 0) / 4);
  const completionTokens = 20;
  return {
    id: `chatcmpl-standin${sequence}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: chat.model,
    choices,
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    system_fingerprint: 'fp_standin',
  };
}

const tokenizers: Record<Tokenizer, RegExp> = {
  split: /[A-Za-z]{1,4}|[0-9]+|\s+|[^A-Za-z0-9\s]+/g,
  glued: /[^A-Za-z0-9]*[A-Za-z0-9]{1,4}|[^A-Za-z0-9]+/g,
};

function tokenize(text: string, tokenizer: Tokenizer): Array<{ start: number; token: string }> {
  return [...text.matchAll(tokenizers[tokenizer])].map((m) => ({ start: m.index, token: m[0] }));
}

/**
 * Per token of `content`: its logprob and the top alternatives, as if the model had generated the
 * content choosing labels by `distribution` (the chosen label being `label`).
 */
function tokenLogprobs(content: string, label: string, distribution: Record<string, number>, tokenizer: Tokenizer, top: number) {
  const escaped = (l: string) => JSON.stringify(l).slice(1, -1);
  const start = content.indexOf(`"label":"`) + `"label":"`.length;
  const before = content.slice(0, start);
  const after = content.slice(start + escaped(label).length);
  // The whole answer as it would read had the model chosen each label.
  const worlds = Object.entries(distribution).map(([l, p]) => {
    const text = before + escaped(l) + after;
    return { p, text, tokens: new Map(tokenize(text, tokenizer).map((t) => [t.start, t.token])) };
  });
  const bytes = (s: string) => [...Buffer.from(s, 'utf8')];
  return tokenize(content, tokenizer).map(({ start: at, token }) => {
    const groups = new Map<string, number>();
    for (const w of worlds) {
      const next = w.tokens.get(at);
      if (next !== undefined && w.text.slice(0, at) === content.slice(0, at)) groups.set(next, (groups.get(next) ?? 0) + w.p);
    }
    const total = [...groups.values()].reduce((a, b) => a + b, 0);
    // Only if the test scripted a label outside its own distribution: the rest is certain.
    if (!(total > 0)) return { token, logprob: 0, bytes: bytes(token), top_logprobs: [{ token, logprob: 0, bytes: bytes(token) }] };
    const lp = (p: number) => Math.log(Math.max(p / total, 1e-12));
    const alternatives = [...groups.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([t, p]) => ({ token: t, logprob: lp(p), bytes: bytes(t) }));
    return { token, logprob: lp(groups.get(token) ?? 0), bytes: bytes(token), top_logprobs: alternatives };
  });
}
