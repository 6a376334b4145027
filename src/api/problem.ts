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

/** A problem and, for one worth retrying later, the seconds to say in `Retry-After`. */
export interface Answer {
  problem: Problem;
  retryAfterSeconds: number | null;
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

/** `bodyLimit`, in bytes, is named in the answer to a body that is too large. */
export function toProblem(err: unknown, instance: string, bodyLimit?: number): Problem {
  return answerFor(err, instance, bodyLimit).problem;
}

export function answerFor(err: unknown, instance: string, bodyLimit?: number): Answer {
  if (err instanceof EngineError) {
    const { status, title } = byKind[err.kind];
    const problem = { type: problemType(status), title, status, detail: err.message, instance, ...(err.problems.length ? { errors: err.problems } : {}) };
    return { problem, retryAfterSeconds: err.retryAfter ?? (status === 503 ? 2 : null) };
  }
  const status = clientStatus(err);
  if (status !== null) {
    return { problem: { type: problemType(status), title: titles[status] ?? 'Bad request', status, detail: clientMessage(err, status, bodyLimit), instance }, retryAfterSeconds: null };
  }
  const trouble = databaseTrouble(err);
  if (trouble) {
    return { problem: { type: problemType(503), title: titles[503]!, status: 503, detail: trouble.detail, instance }, retryAfterSeconds: trouble.retryAfterSeconds };
  }
  return { problem: { type: problemType(500), title: 'Internal error', status: 500, detail: 'something went wrong on our side; it has been logged', instance }, retryAfterSeconds: null };
}

/** The status of an error Fastify or a plugin raised for a client mistake (bad JSON, too large…). */
function clientStatus(err: unknown): number | null {
  if (typeof err !== 'object' || err === null) return null;
  const status = (err as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : null;
}

function clientMessage(err: unknown, status: number, bodyLimit: number | undefined): string {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (status === 413) return `the request body is larger than the limit${bodyLimit === undefined ? '' : ` of ${bodyLimit} bytes`}`;
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) return `the body is not valid JSON: ${message}`;
  return message;
}

export interface DatabaseTrouble {
  detail: string;
  retryAfterSeconds: number;
}

const unreachable: DatabaseTrouble = { detail: 'the database is not reachable; try again shortly', retryAfterSeconds: 2 };
const restarting: DatabaseTrouble = { detail: 'the database is restarting or shutting down; try again shortly', retryAfterSeconds: 2 };
const readOnly: DatabaseTrouble = {
  detail: 'the database is read-only (a standby, or writes switched off): reads work, changes are refused until it accepts writes again',
  retryAfterSeconds: 30,
};
const diskFull: DatabaseTrouble = { detail: 'the database is out of disk space: changes are refused until space is freed', retryAfterSeconds: 30 };
const outOfMemory: DatabaseTrouble = { detail: 'the database is out of memory; try again shortly', retryAfterSeconds: 5 };
const tooBusy: DatabaseTrouble = { detail: 'the database has no room for this request (too many connections or other resource limits); try again shortly', retryAfterSeconds: 5 };

// Socket errors from the driver before or while talking to the server.
const socketCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
// node-postgres says these in words, with no code: a connection lost mid-query, a pool that could not connect in time.
const driverMessages = [
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'Client has encountered a connection error and is not queryable',
  'timeout exceeded when trying to connect',
];

/**
 * A database that is down, restarting, read-only, full or out of memory is the server's trouble,
 * not the client's, and passes: 503 with a Retry-After, by SQLSTATE (class 08 connection, 57P0x
 * shutdown, 25006 read-only, class 53 insufficient resources) or by the driver's socket errors.
 */
export function databaseTrouble(err: unknown): DatabaseTrouble | null {
  if (typeof err !== 'object' || err === null) return null;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('08') && code.length === 5) return unreachable;
    if (code === '57P01' || code === '57P02' || code === '57P03') return restarting;
    if (code === '25006') return readOnly;
    if (code === '53100') return diskFull;
    if (code === '53200') return outOfMemory;
    if (code.startsWith('53') && code.length === 5) return tooBusy;
    if (socketCodes.has(code)) return unreachable;
  }
  const message = err instanceof Error ? err.message : '';
  if (driverMessages.includes(message)) return unreachable;
  // AggregateError from a connect that tried several addresses (localhost: ::1 and 127.0.0.1).
  if (err instanceof AggregateError && err.errors.some((e) => databaseTrouble(e) === unreachable)) return unreachable;
  return null;
}
