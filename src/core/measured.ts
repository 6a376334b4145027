import { normalQuantile } from './estimate.ts';

// A statistic on too little data is worse than none: it reads as a fact. Every quality statistic
// returns either its value or a plain statement of why there is no value, and the callers (API,
// report) print that statement instead of a number.

/** Too few observations to say anything: `n` of the `needed`. */
export interface Insufficient {
  kind: 'insufficient';
  n: number;
  needed: number;
  message: string;
}

/** Enough observations, but the statistic is undefined on them (e.g. kappa when everyone used one label). */
export interface Degenerate {
  kind: 'degenerate';
  n: number;
  message: string;
}

export type Measured<T> = ({ kind: 'ok' } & T) | Insufficient | Degenerate;

export function insufficient(n: number, needed: number): Insufficient {
  return { kind: 'insufficient', n, needed, message: `not enough data (n = ${n}, needs ${needed})` };
}

export function degenerate(n: number, why: string): Degenerate {
  return { kind: 'degenerate', n, message: `${why} (n = ${n})` };
}

export function ok<T extends object>(value: T): { kind: 'ok' } & T {
  return { kind: 'ok', ...value };
}

/** The z of a two-sided interval at `confidence` (0.95 → 1.96). */
export function twoSidedZ(confidence: number): number {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  return normalQuantile(1 - (1 - confidence) / 2);
}
