// Errors the engine raises on purpose. Each carries what a client needs to fix its request;
// the API translates them once, at its edge, into RFC 9457 problem documents.

export interface FieldProblem {
  /** Where in the request, as a JSON-pointer-like dotted path (e.g. `fields.amount`). */
  path: string;
  message: string;
}

export type ProblemKind = 'invalid' | 'unprocessable' | 'not_found' | 'conflict' | 'forbidden' | 'unauthorized' | 'unavailable' | 'too_many';

export class EngineError extends Error {
  constructor(
    readonly kind: ProblemKind,
    message: string,
    readonly problems: FieldProblem[] = [],
    /** For `too_many`: seconds until a retry may succeed (the Retry-After header). */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export const invalid = (message: string, problems: FieldProblem[] = []) => new EngineError('invalid', message, problems);
export const notFound = (message: string) => new EngineError('not_found', message);
export const conflict = (message: string) => new EngineError('conflict', message);
export const forbidden = (message: string) => new EngineError('forbidden', message);
export const unauthorized = (message: string) => new EngineError('unauthorized', message);
export const unprocessable = (message: string) => new EngineError('unprocessable', message);
/** Too many requests from one source (a customer in a conversation): retry after `seconds`. */
export const tooMany = (message: string, seconds: number) => new EngineError('too_many', message, [], Math.max(1, Math.ceil(seconds)));
