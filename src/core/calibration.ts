// Calibration: making "confidence 0.9" mean "right nine times in ten". Fitted on items whose
// true label a person gave (never on the model's own guesses, which would teach it to agree
// with itself), and chosen by measuring each method out of fold on those same items.
//
// Two methods, because they fail differently: temperature scaling has one parameter, so a few
// dozen examples fit it well, but it can only sharpen or soften every prediction alike;
// isotonic regression can follow any monotone distortion of the top confidence, but it needs
// hundreds of examples before its steps stop tracking noise.
//
// Calibrations are plain data, so they can be stored beside a model version as JSON.
import { goldenSectionMin } from './estimate.ts';

/** A model's output for one item: raw logits, or a probability vector over the same labels. */
export type Scores = { logits: ArrayLike<number> } | { probs: ArrayLike<number> };

/** An item a person labelled: the model's output for it and the index of the true label. */
export type VerifiedExample = Scores & { label: number };

export type Calibration =
  | { kind: 'identity' }
  /** Probabilities are softmax(logits / t). */
  | { kind: 'temperature'; t: number }
  /**
   * Maps the top label's confidence through the piecewise-linear curve through (xs[i], ys[i]),
   * flat beyond the ends; xs strictly increasing, ys non-decreasing, all in [0, 1]. Each step
   * of the fit contributes its smallest and largest confidence as knots.
   */
  | { kind: 'isotonic'; xs: number[]; ys: number[] };

export interface CalibratedOutput {
  /** Calibrated probability per label. */
  probs: Float64Array;
  /** The model's top label: calibration rescales confidence, it never changes the choice. */
  label: number;
  /** Calibrated probability of `label`: the figure routing compares with a threshold. */
  confidence: number;
}

export const T_MIN = 0.05;
export const T_MAX = 20;

/** A probability of 0 read as a logit: the model said "very unlikely", not "impossible". */
const PROB_FLOOR = 1e-12;

function logitsOf(s: Scores): ArrayLike<number> {
  if ('logits' in s) return s.logits;
  const out = new Float64Array(s.probs.length);
  for (let k = 0; k < out.length; k++) out[k] = Math.log(Math.max(PROB_FLOOR, s.probs[k]!));
  return out;
}

function softmaxAt(logits: ArrayLike<number>, t: number): Float64Array {
  const K = logits.length;
  const out = new Float64Array(K);
  let max = -Infinity;
  for (let k = 0; k < K; k++) if (logits[k]! > max) max = logits[k]!;
  let sum = 0;
  for (let k = 0; k < K; k++) {
    const e = Math.exp((logits[k]! - max) / t);
    out[k] = e;
    sum += e;
  }
  for (let k = 0; k < K; k++) out[k] = out[k]! / sum;
  return out;
}

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < v.length; k++) if (v[k]! > v[best]!) best = k;
  return best;
}

/** Probabilities as the model gave them (softmax of logits, or the probabilities renormalised). */
function rawProbs(s: Scores): Float64Array {
  if ('logits' in s) return softmaxAt(s.logits, 1);
  const out = Float64Array.from(s.probs, (p) => Math.max(0, p));
  let sum = 0;
  for (const p of out) sum += p;
  if (!(sum > 0)) return out.fill(1 / out.length);
  for (let k = 0; k < out.length; k++) out[k] = out[k]! / sum;
  return out;
}

function checkExamples(examples: readonly VerifiedExample[]): void {
  for (const [i, e] of examples.entries()) {
    const v = 'logits' in e ? e.logits : e.probs;
    if (v.length === 0) throw new RangeError(`example ${i} has no scores`);
    if (!Number.isInteger(e.label) || e.label < 0 || e.label >= v.length) throw new RangeError(`example ${i} has label ${e.label} outside 0..${v.length - 1}`);
    for (let k = 0; k < v.length; k++) {
      if (!Number.isFinite(v[k]!)) throw new RangeError(`example ${i} has a non-finite score`);
      if ('probs' in e && v[k]! < 0) throw new RangeError(`example ${i} has a negative probability`);
    }
  }
}

/**
 * Mean negative log-likelihood of the true labels under softmax(logits / t), the quantity
 * temperature scaling minimises.
 */
export function temperatureNll(examples: readonly VerifiedExample[], t: number): number {
  return nllFlat(flatten(examples), t);
}

interface Flat {
  /** Logits shifted so each example's largest is 0: exp never overflows, whatever the scale. */
  z: Float64Array;
  start: Int32Array;
  own: Float64Array;
}

function flatten(examples: readonly VerifiedExample[]): Flat {
  let total = 0;
  const rows = examples.map((e) => logitsOf(e));
  for (const r of rows) total += r.length;
  const z = new Float64Array(total);
  const start = new Int32Array(rows.length + 1);
  const own = new Float64Array(rows.length);
  let p = 0;
  rows.forEach((r, i) => {
    start[i] = p;
    let max = -Infinity;
    for (let k = 0; k < r.length; k++) if (r[k]! > max) max = r[k]!;
    for (let k = 0; k < r.length; k++) z[p + k] = r[k]! - max;
    own[i] = r[examples[i]!.label]! - max;
    p += r.length;
  });
  start[rows.length] = p;
  return { z, start, own };
}

function nllFlat({ z, start, own }: Flat, t: number): number {
  const n = own.length;
  if (n === 0) return 0;
  const inv = 1 / t;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    // Every z is ≤ 0 and one is exactly 0, so the sum is in [1, K]: no overflow, no log(0).
    for (let q = start[i]!; q < start[i + 1]!; q++) sum += Math.exp(z[q]! * inv);
    total += Math.log(sum) - own[i]! * inv;
  }
  return total / n;
}

/**
 * Temperature scaling: the t in [0.05, 20] minimising the NLL of the examples, by golden-section
 * search on log t. The NLL is convex in 1/t, so it has one minimum on the interval and the
 * search cannot be trapped. Never worse than t = 1 on the examples it was fitted on.
 */
export function fitTemperature(examples: readonly VerifiedExample[]): { kind: 'temperature'; t: number } {
  checkExamples(examples);
  if (examples.length === 0) return { kind: 'temperature', t: 1 };
  const flat = flatten(examples);
  const loss = (u: number): number => nllFlat(flat, Math.exp(u));
  const found = goldenSectionMin(loss, Math.log(T_MIN), Math.log(T_MAX), 1e-7);
  // The bounds themselves are candidates: a monotone loss has its minimum at an end, which the
  // interior points of the search only approach.
  const candidates = [found, Math.log(T_MIN), Math.log(T_MAX)];
  let best = 0;
  let bestLoss = loss(0);
  for (const u of candidates) {
    const l = loss(u);
    // A gain within rounding is no reason to move off t = 1.
    if (l < bestLoss - 1e-12 * Math.max(1, Math.abs(bestLoss))) {
      best = u;
      bestLoss = l;
    }
  }
  return { kind: 'temperature', t: Math.exp(best) };
}

/** Top-label confidence and whether the top label is the true one, before any calibration. */
export function topLabelOutcomes(examples: readonly VerifiedExample[]): { confidences: Float64Array; correct: boolean[] } {
  const confidences = new Float64Array(examples.length);
  const correct: boolean[] = [];
  examples.forEach((e, i) => {
    const p = rawProbs(e);
    const top = argmax('logits' in e ? e.logits : e.probs);
    confidences[i] = p[top]!;
    correct.push(top === e.label);
  });
  return { confidences, correct };
}

export interface IsotonicOptions {
  /** Fewest examples per step; by default max(20, ⌈√n⌉), so no step rests on a handful of answers. */
  minCount?: number;
}

/**
 * Isotonic regression of correctness on top-label confidence by pool-adjacent-violators, with
 * steps too small to trust pooled into their neighbours. Equal confidences always share a step.
 */
export function fitIsotonic(examples: readonly VerifiedExample[], options: IsotonicOptions = {}): Calibration {
  checkExamples(examples);
  const { confidences, correct } = topLabelOutcomes(examples);
  return fitIsotonicCurve(confidences, correct, options);
}

/** Isotonic fit on (confidence, correct) pairs directly. */
export function fitIsotonicCurve(confidences: ArrayLike<number>, correct: ArrayLike<boolean>, options: IsotonicOptions = {}): Calibration {
  const n = confidences.length;
  if (correct.length !== n) throw new RangeError('confidences and correct differ in length');
  if (n === 0) return { kind: 'identity' };
  const minCount = Math.max(1, options.minCount ?? Math.max(20, Math.ceil(Math.sqrt(n))));
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => confidences[i]! - confidences[j]! || i - j);

  // Blocks as parallel stacks: smallest and largest x, sum of y, count.
  const lo: number[] = [];
  const hi: number[] = [];
  const sy: number[] = [];
  const cnt: number[] = [];
  const pop = (): void => {
    lo.pop();
    hi.pop();
    sy.pop();
    cnt.pop();
  };
  for (let q = 0; q < n; ) {
    const x = confidences[order[q]!]!;
    if (!(x >= 0 && x <= 1)) throw new RangeError(`confidence ${x} is outside [0, 1]`);
    let by = 0;
    let bc = 0;
    for (; q < n && confidences[order[q]!] === x; q++) {
      by += correct[order[q]!] ? 1 : 0;
      bc++;
    }
    lo.push(x);
    hi.push(x);
    sy.push(by);
    cnt.push(bc);
    // Pool while the block before has a mean at least as high: means end strictly increasing.
    while (lo.length > 1) {
      const m = lo.length - 1;
      if (sy[m - 1]! / cnt[m - 1]! < sy[m]! / cnt[m]!) break;
      hi[m - 1] = hi[m]!;
      sy[m - 1] = sy[m - 1]! + sy[m]!;
      cnt[m - 1] = cnt[m - 1]! + cnt[m]!;
      pop();
    }
  }

  // Merging neighbours keeps the means increasing (a pooled mean lies between its parts), so
  // small steps can be folded in left to right with no second PAV pass.
  const blocks: Array<{ lo: number; hi: number; y: number; n: number }> = [];
  for (let i = 0; i < lo.length; i++) {
    const last = blocks[blocks.length - 1];
    if (last && last.n < minCount) {
      last.hi = hi[i]!;
      last.y += sy[i]!;
      last.n += cnt[i]!;
    } else {
      blocks.push({ lo: lo[i]!, hi: hi[i]!, y: sy[i]!, n: cnt[i]! });
    }
  }
  while (blocks.length > 1 && blocks[blocks.length - 1]!.n < minCount) {
    const last = blocks.pop()!;
    const before = blocks[blocks.length - 1]!;
    before.hi = last.hi;
    before.y += last.y;
    before.n += last.n;
  }
  // Each step is flat from its smallest to its largest confidence, as in the data; only the gaps
  // between steps are interpolated, so a sharp rise in accuracy stays sharp.
  const xs: number[] = [];
  const ys: number[] = [];
  for (const b of blocks) {
    const y = clamp01(b.y / b.n);
    xs.push(clamp01(b.lo));
    ys.push(y);
    if (b.hi > b.lo) {
      xs.push(clamp01(b.hi));
      ys.push(y);
    }
  }
  return { kind: 'isotonic', xs, ys };
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** The isotonic curve at x: linear between knots, flat beyond the first and last. */
export function isotonicAt(xs: readonly number[], ys: readonly number[], x: number): number {
  const n = xs.length;
  if (n === 0) return clamp01(x);
  if (x <= xs[0]!) return ys[0]!;
  if (x >= xs[n - 1]!) return ys[n - 1]!;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= x) lo = mid;
    else hi = mid;
  }
  const w = (x - xs[lo]!) / (xs[hi]! - xs[lo]!);
  return clamp01(ys[lo]! + w * (ys[hi]! - ys[lo]!));
}

/**
 * Calibrated probabilities. For isotonic the top label gets the calibrated confidence and the
 * rest share what is left in proportion to their raw probabilities, none above the top one
 * while that is possible (water-filling), so the top label stays the most probable.
 */
export function applyCalibration(cal: Calibration, scores: Scores): CalibratedOutput {
  // The top label from the scores as given: after a softmax, nearly equal logits can round to a tie.
  const label = argmax('logits' in scores ? scores.logits : scores.probs);
  if (cal.kind === 'temperature') {
    const probs = softmaxAt(logitsOf(scores), cal.t);
    return { probs, label, confidence: probs[label]! };
  }
  const raw = rawProbs(scores);
  if (cal.kind === 'identity') return { probs: raw, label, confidence: raw[label]! };
  const c = isotonicAt(cal.xs, cal.ys, raw[label]!);
  return { probs: redistribute(raw, label, c), label, confidence: c };
}

function redistribute(raw: Float64Array, top: number, c: number): Float64Array {
  const K = raw.length;
  const out = new Float64Array(K);
  out[top] = c;
  if (K === 1) return out;
  const capped = new Uint8Array(K);
  capped[top] = 1;
  let rest = 1 - c;
  const cap = c * (K - 1) >= rest ? c : Infinity;
  // Each round caps at least one label or finishes, so K rounds suffice.
  for (let round = 0; round < K; round++) {
    let mass = 0;
    let free = 0;
    for (let k = 0; k < K; k++) if (!capped[k]) {
      mass += raw[k]!;
      free++;
    }
    if (free === 0) break;
    let over = false;
    for (let k = 0; k < K; k++) {
      if (capped[k]) continue;
      const v = mass > 0 ? (rest * raw[k]!) / mass : rest / free;
      out[k] = v;
      if (v > cap) over = true;
    }
    if (!over) break;
    for (let k = 0; k < K; k++) {
      if (capped[k] || out[k]! <= cap) continue;
      out[k] = cap;
      capped[k] = 1;
      rest -= cap;
    }
  }
  return out;
}

export interface ReliabilityBin {
  /** Confidence range [lower, upper); the last bin includes 1. */
  lower: number;
  upper: number;
  count: number;
  /** Null for an empty bin. */
  meanConfidence: number | null;
  accuracy: number | null;
}

function binOf(c: number, bins: number): number {
  return Math.min(bins - 1, Math.max(0, Math.floor(c * bins)));
}

/** Per equal-width confidence bin: count, mean confidence and accuracy (a reliability diagram). */
export function reliabilityBins(confidences: ArrayLike<number>, correct: ArrayLike<boolean>, bins = 15): ReliabilityBin[] {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be a positive integer, got ${bins}`);
  if (confidences.length !== correct.length) throw new RangeError('confidences and correct differ in length');
  const count = new Array<number>(bins).fill(0);
  const conf = new Array<number>(bins).fill(0);
  const right = new Array<number>(bins).fill(0);
  for (let i = 0; i < confidences.length; i++) {
    const c = confidences[i]!;
    if (!Number.isFinite(c)) throw new RangeError(`confidence ${c} is not finite`);
    const b = binOf(c, bins);
    count[b]!++;
    conf[b]! += c;
    if (correct[i]) right[b]!++;
  }
  return count.map((n, b) => ({
    lower: b / bins,
    upper: (b + 1) / bins,
    count: n,
    meanConfidence: n > 0 ? conf[b]! / n : null,
    accuracy: n > 0 ? right[b]! / n : null,
  }));
}

/**
 * Expected calibration error: the count-weighted mean gap between confidence and accuracy over
 * equal-width bins, in [0, 1]. NaN for no items: no data is not perfect calibration.
 */
export function expectedCalibrationError(confidences: ArrayLike<number>, correct: ArrayLike<boolean>, bins = 15): number {
  const n = confidences.length;
  if (n === 0) return Number.NaN;
  let total = 0;
  for (const b of reliabilityBins(confidences, correct, bins)) {
    if (b.count > 0) total += b.count * Math.abs(b.accuracy! - b.meanConfidence!);
  }
  return Math.min(1, total / n);
}

/** Confidences are clipped this far from 0 and 1 when scored, so one miss costs a bounded amount. */
const SCORE_CLIP = 1e-6;

/**
 * Binary log loss of top-label confidence against correctness. This is what routing relies on:
 * a threshold compares the top label's confidence, whatever the rest of the distribution says.
 */
export function topLabelLogLoss(confidences: ArrayLike<number>, correct: ArrayLike<boolean>): number {
  const n = confidences.length;
  if (n === 0) return Number.NaN;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const c = Math.min(1 - SCORE_CLIP, Math.max(SCORE_CLIP, confidences[i]!));
    total -= Math.log(correct[i] ? c : 1 - c);
  }
  return total / n;
}

export interface ChooseOptions {
  /** Cross-validation folds. */
  folds?: number;
  /** Below this many examples isotonic is not tried: its steps would track noise. */
  isotonicMin?: number;
  /** Isotonic must beat temperature's out-of-fold loss by this relative margin to be chosen. */
  isotonicMargin?: number;
  /** Fewer examples than this: no calibration is fitted at all. */
  minExamples?: number;
  bins?: number;
  isotonic?: IsotonicOptions;
}

export interface CandidateScore {
  kind: Calibration['kind'];
  /** Out-of-fold top-label log loss. */
  logLoss: number;
  /** Out-of-fold expected calibration error. */
  ece: number;
}

export interface CalibrationChoice {
  calibration: Calibration;
  examples: number;
  /** Every method tried, measured out of fold on the examples. */
  candidates: CandidateScore[];
  /** ECE of the uncalibrated confidences on the examples. */
  eceBefore: number;
  /** Out-of-fold ECE of the chosen method: an honest estimate of the ECE on new items. */
  eceAfter: number;
  /** Why this method, in a sentence. */
  reason: string;
}

/**
 * Fits each method on k − 1 folds, scores it on the k-th, and keeps the best by out-of-fold
 * top-label log loss, then refits it on all examples. Folds are interleaved (example i goes to
 * fold i mod k), so a time-ordered set is spread evenly and the result needs no randomness.
 *
 * Temperature is the default: it is preferred to identity unless identity measures strictly
 * better, and isotonic is only tried from `isotonicMin` examples and must win by a margin,
 * since a method with dozens of free steps beats one parameter on noise alone.
 */
export function chooseCalibration(examples: readonly VerifiedExample[], options: ChooseOptions = {}): CalibrationChoice {
  checkExamples(examples);
  const folds = Math.max(2, Math.floor(options.folds ?? 5));
  const isotonicMin = options.isotonicMin ?? 200;
  const margin = options.isotonicMargin ?? 0.01;
  const minExamples = Math.max(folds, options.minExamples ?? 20);
  const bins = options.bins ?? 15;
  const n = examples.length;
  const base = topLabelOutcomes(examples);
  const eceBefore = expectedCalibrationError(base.confidences, base.correct, bins);
  if (n < minExamples) {
    return {
      calibration: { kind: 'identity' },
      examples: n,
      candidates: [],
      eceBefore,
      eceAfter: eceBefore,
      reason: `only ${n} verified examples (at least ${minExamples} needed): the model's own probabilities are kept`,
    };
  }

  const fitters: Array<[Calibration['kind'], (train: VerifiedExample[]) => Calibration]> = [
    ['identity', () => ({ kind: 'identity' })],
    ['temperature', (train) => fitTemperature(train)],
  ];
  if (n >= isotonicMin) fitters.push(['isotonic', (train) => fitIsotonic(train, options.isotonic)]);

  const candidates: CandidateScore[] = fitters.map(([kind, fit]) => {
    const conf = new Float64Array(n);
    for (let f = 0; f < folds; f++) {
      const train = examples.filter((_, i) => i % folds !== f);
      const cal = fit(train);
      for (let i = f; i < n; i += folds) conf[i] = applyCalibration(cal, examples[i]!).confidence;
    }
    return { kind, logLoss: topLabelLogLoss(conf, base.correct), ece: expectedCalibrationError(conf, base.correct, bins) };
  });
  const score = (k: Calibration['kind']): CandidateScore | undefined => candidates.find((c) => c.kind === k);
  const identity = score('identity')!;
  const temperature = score('temperature')!;
  const isotonic = score('isotonic');

  let kind: Calibration['kind'] = temperature.logLoss <= identity.logLoss ? 'temperature' : 'identity';
  let reason =
    kind === 'temperature'
      ? `temperature scaling lowered the out-of-fold log loss from ${fmt(identity.logLoss)} to ${fmt(temperature.logLoss)}`
      : `the model's own probabilities scored better out of fold (${fmt(identity.logLoss)}) than temperature scaling (${fmt(temperature.logLoss)})`;
  const bestSoFar = kind === 'temperature' ? temperature : identity;
  if (isotonic && isotonic.logLoss < bestSoFar.logLoss * (1 - margin)) {
    kind = 'isotonic';
    reason = `isotonic regression scored an out-of-fold log loss of ${fmt(isotonic.logLoss)}, against ${fmt(bestSoFar.logLoss)} for ${bestSoFar.kind}`;
  } else if (!isotonic) {
    reason += ` (isotonic needs at least ${isotonicMin} examples; ${n} given)`;
  }
  const calibration: Calibration =
    kind === 'identity' ? { kind: 'identity' } : kind === 'temperature' ? fitTemperature(examples) : fitIsotonic(examples, options.isotonic);
  return { calibration, examples: n, candidates, eceBefore, eceAfter: score(kind)!.ece, reason };
}

function fmt(v: number): string {
  return v.toFixed(4);
}
