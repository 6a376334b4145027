// The API's one error translation: anything thrown becomes an RFC 9457 problem document.
// Engine errors and client mistakes keep their meaning and message; anything else is a 500
// that says nothing of the internals (the log has the details).
import { EngineError, type FieldProblem, type ProblemKind } from '../engine/errors.ts';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldProblem[];
}

const byKind: Record<ProblemKind, { status: number; title: string }> = {
  invalid: { status: 400, title: 'Invalid request' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  unprocessable: { status: 422, title: 'Unprocessable request' },
  unavailable: { status: 503, title: 'Service unavailable' },
  too_many: { status: 429, title: 'Too many requests' },
};

const titles: Record<number, string> = {
  400: 'Invalid request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  409: 'Conflict',
  413: 'Request body too large',
  414: 'URI too long',
  415: 'Unsupported media type',
  422: 'Unprocessable request',
  429: 'Too many requests',
  503: 'Service unavailable',
};

export function problemType(status: number): string {
  return `https://tandem.dev/problems/${status}`;
}

export function toProblem(err: unknown, instance: string): Problem {
  if (err instanceof EngineError) {
    const { status, title } = byKind[err.kind];
    return { type: problemType(status), title, status, detail: err.message, instance, ...(err.problems.length ? { errors: err.problems } : {}) };
  }
  const status = clientStatus(err);
  if (status !== null) {
    return { type: problemType(status), title: titles[status] ?? 'Bad request', status, detail: clientMessage(err, status), instance };
  }
  if (isDatabaseDown(err)) {
    return { type: problemType(503), title: titles[503]!, status: 503, detail: 'the database is not reachable; try again shortly', instance };
  }
  return { type: problemType(500), title: 'Internal error', status: 500, detail: 'something went wrong on our side; it has been logged', instance };
}

/** The status of an error Fastify or a plugin raised for a client mistake (bad JSON, too large…). */
function clientStatus(err: unknown): number | null {
  if (typeof err !== 'object' || err === null) return null;
  const status = (err as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : null;
}

function clientMessage(err: unknown, status: number): string {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (status === 413) return message.replace(/^Request body is too large$/, 'the request body is larger than the limit');
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) return `the body is not valid JSON: ${message}`;
  return message;
}

function isDatabaseDown(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === '57P01' || code === '57P03' || code === '08006' || code === '08001';
}
