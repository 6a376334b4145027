// A route is declared once — method, path, zod schemas, summary, responses, handler — and that
// one declaration both serves the request (validating at the edge) and documents it in OpenAPI.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { invalid, unauthorized, type FieldProblem } from '../engine/errors.ts';
import type { Engine } from '../engine/engine.ts';
import type { Principal } from '../engine/principals.ts';

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Context<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  principal: Principal;
  token: string;
  engine: Engine;
  request: FastifyRequest;
  /** Aborted when the client goes away (long polls stop waiting). */
  signal: AbortSignal;
}

export interface RouteSpec<B = unknown, Q = unknown, P = unknown> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** OpenAPI-style path, e.g. `/v1/items/{id}`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  /** `public` routes run without a token (sign-in, the OpenAPI document). */
  auth?: 'token' | 'public';
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
  params?: z.ZodType<P>;
  headers?: Record<string, { description: string; required?: boolean }>;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  handle(ctx: Context<B, Q, P>): Promise<Reply>;
}

export function defineRoute<B = undefined, Q = undefined, P = undefined>(spec: RouteSpec<B, Q, P>): RouteSpec {
  return spec as unknown as RouteSpec;
}

export function zodProblems(error: z.ZodError, prefix: string): FieldProblem[] {
  return error.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter(Boolean).join('.') || prefix,
    message: i.message,
  }));
}

function parsePart<T>(schema: z.ZodType<T> | undefined, value: unknown, part: string): T {
  if (!schema) return undefined as T;
  const prefix = part === 'body' ? '' : part;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid(`the request ${part} is invalid`, zodProblems(parsed.error, prefix));
  const unstorable = unstorableValues(parsed.data, prefix, 0, []);
  if (unstorable.length > 0) throw invalid(`the request ${part} has values that cannot be stored`, unstorable);
  return parsed.data;
}

// JSON may carry NUL characters and unpaired surrogates, but Postgres text and jsonb refuse them
// (and the pg driver silently replaces surrogates in text); and a body nested thousands deep
// overflows the stack of every recursive walk after this one (hashing, serialising, jsonb).
// Refused here, naming the field, rather than failing as a 500 or being stored altered.
const badText = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const badTextMessage = 'may not contain NUL characters or unpaired UTF-16 surrogates';
const maxDepth = 64;

function unstorableValues(value: unknown, path: string, depth: number, out: FieldProblem[]): FieldProblem[] {
  if (out.length >= 20) return out;
  if (typeof value === 'string') {
    if (badText.test(value)) out.push({ path: path || '(body)', message: badTextMessage });
    return out;
  }
  if (value === null || typeof value !== 'object') return out;
  if (depth >= maxDepth) {
    out.push({ path: path || '(body)', message: `nests deeper than ${maxDepth} levels` });
    return out;
  }
  for (const [k, v] of Object.entries(value)) {
    const at = path ? `${path}.${k}` : k;
    if (!Array.isArray(value) && badText.test(k)) out.push({ path: at, message: `has a key that ${badTextMessage}` });
    unstorableValues(v, at, depth + 1, out);
  }
  return out;
}

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/**
 * What a handler is given. A class, so that `signal` is one getter on the prototype. As a getter in
 * an object literal (a new function per request), every request's context was an object V8 keeps
 * in dictionary mode, and with it bench scale promoted 18 MB/s of request objects (headers,
 * replies, rows) to the old generation, with 63 ms/s of scavenge pauses; with the class, 4.3 MB/s
 * and 34 ms/s (bench/README.md). How the one led to the other inside V8 was not traced.
 */
export class RequestContext<B, Q, P> implements Context<B, Q, P> {
  #controller: AbortController | null = null;
  constructor(
    readonly body: B,
    readonly query: Q,
    readonly params: P,
    readonly principal: Principal,
    readonly token: string,
    readonly engine: Engine,
    readonly request: FastifyRequest,
    private readonly reply: Pick<FastifyReply, 'raw'>,
  ) {}

  /** Made on first use (long polls): an abort signal per request is measurable on the hot path. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      const c = new AbortController();
      const raw = this.reply.raw;
      // The response closing before it was written means the client went away.
      raw.once('close', () => {
        if (!raw.writableFinished) c.abort();
      });
      this.#controller = c;
    }
    return this.#controller.signal;
  }
}

export function registerRoute(app: FastifyInstance, engine: Engine, spec: RouteSpec): void {
  app.route({
    method: spec.method,
    url: spec.path.replace(/\{(\w+)\}/g, ':$1'),
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      let principal: Principal | null = null;
      const token = bearerToken(request);
      if (spec.auth !== 'public') {
        if (!token) throw unauthorized('send "Authorization: Bearer <API key or session token>"');
        principal = await engine.auth.authenticate(engine.db, token);
      }
      const params = parsePart(spec.params, request.params, 'path');
      const query = parsePart(spec.query, request.query, 'query');
      const body = parsePart(spec.body, request.body ?? (spec.body ? {} : undefined), 'body');
      const out = await spec.handle(new RequestContext(body, query, params, principal as Principal, token ?? '', engine, request, reply));
      reply.code(out.status);
      if (out.headers) reply.headers(out.headers);
      return out.body === undefined ? reply.send() : reply.send(out.body);
    },
  });
}
