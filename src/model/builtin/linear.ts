// The built-in text classifier: a multiclass linear SVM (Crammer–Singer) over hashed word and
// character n-grams, trained in-process by dual coordinate descent, with a softmax on top whose
// temperature is fitted on a held-out slice of the training set, so its probabilities mean
// something before any calibration on human answers.
//
// Why Crammer–Singer: on short texts it was the most accurate of the fast linear learners we
// measured (one-vs-rest SVM, softmax regression by SGD with or without dropout, NB-weighted
// features), and its dual solver soon narrows each example down to the few classes that compete
// for it, so most of training touches a handful of weights per n-gram instead of all of them.
import {
  buildVocabulary,
  columnOf,
  extendVocabulary,
  hashText,
  traceText,
  vectorise,
  type FeatureOptions,
  type SparseVector,
  type TracedText,
  type Vocabulary,
} from './features.ts';
// Seeded, so training is reproducible on any machine.
import { goldenSectionMin, seededRandom } from '../../core/estimate.ts';
import { expectedCalibrationError } from '../../core/calibration.ts';

export interface Example {
  text: string;
  label: string;
}

export interface TrainOptions {
  features: FeatureOptions;
  /** Penalty on margin violations (liblinear's C); larger fits the training set more tightly. */
  C: number;
  /** The solver stops when no example violates optimality by more than this. */
  epsilon: number;
  /** Upper bound on passes over the training set. */
  maxEpochs: number;
  /** Seeds the hold-out split and the order examples are visited in: same seed, same model. */
  seed: number;
  /** Share of the training set held out to fit the temperature, then trained on as well. */
  holdOut: number;
  /** Keep n-grams found in at least this many training texts; by default 2 from 2,000 texts on, else 1. */
  minDf?: number;
}

export const defaultTrainOptions: TrainOptions = {
  features: { bits: 20, wordNgrams: 2, charMin: 2, charMax: 4 },
  C: 1,
  epsilon: 0.1,
  maxEpochs: 10,
  seed: 1,
  holdOut: 0.15,
};

/** How the model did on the examples held out while fitting its temperature. */
export interface HeldOutScores {
  examples: number;
  accuracy: number;
  /** Mean negative log-likelihood of the true label at the fitted temperature. */
  logLoss: number;
  /** Expected calibration error (15 equal-width bins of top-label confidence) at that temperature. */
  ece: number;
}

export interface Model {
  labels: string[];
  vocab: Vocabulary;
  /** Feature-major weights: `weights[column * labels.length + k]`. */
  weights: Float32Array;
  bias: Float32Array;
  /** Logits are raw scores divided by this; 1 when the training set was too small to hold any out. */
  temperature: number;
  /** Examples the model has learned from, initial training and updates together. */
  trainingSize: number;
  heldOut: HeldOutScores | null;
  options: TrainOptions;
  /**
   * What the model said about each held-out example (at the fitted temperature), before it was
   * trained on them too: evidence for tuning thresholds right after training. Not serialised.
   */
  heldOutOutcomes?: Array<{ label: string; confidence: number; correct: boolean }>;
}

export interface ClassifierPrediction {
  /** Probability per label (softmax of `logits`); sums to 1. */
  labels: Record<string, number>;
  label: string;
  confidence: number;
  /** Per label, in `model.labels` order; divide by a further temperature to recalibrate. */
  logits: Float64Array;
  /** Words and phrases of the text that pushed hardest towards `label`, strongest first. */
  evidence: string[];
  /**
   * Share of the text's distinct words that the vocabulary knows, 0 to 1 (1 for a text with no
   * words). Low coverage marks a text unlike anything in training (another language, gibberish,
   * a new kind of request): its confidence means little. Only computed with `explain`.
   */
  coverage: number;
}

/**
 * out[k] += Σ W[column·K + k] · value over entries [from, to). V8 does not vectorise, so the
 * loop is unrolled over eight entries: that cuts the loads and stores of `out` per multiply-add
 * eightfold and measured 3–5× faster than the plain double loop.
 */
function accumulate(W: Float32Array, K: number, column: Int32Array, value: Float32Array, from: number, to: number, out: Float64Array): void {
  let p = from;
  for (; p + 8 <= to; p += 8) {
    const o0 = column[p]! * K;
    const o1 = column[p + 1]! * K;
    const o2 = column[p + 2]! * K;
    const o3 = column[p + 3]! * K;
    const o4 = column[p + 4]! * K;
    const o5 = column[p + 5]! * K;
    const o6 = column[p + 6]! * K;
    const o7 = column[p + 7]! * K;
    const v0 = value[p]!;
    const v1 = value[p + 1]!;
    const v2 = value[p + 2]!;
    const v3 = value[p + 3]!;
    const v4 = value[p + 4]!;
    const v5 = value[p + 5]!;
    const v6 = value[p + 6]!;
    const v7 = value[p + 7]!;
    for (let k = 0; k < K; k++) {
      out[k] =
        out[k]! +
        W[o0 + k]! * v0 +
        W[o1 + k]! * v1 +
        W[o2 + k]! * v2 +
        W[o3 + k]! * v3 +
        W[o4 + k]! * v4 +
        W[o5 + k]! * v5 +
        W[o6 + k]! * v6 +
        W[o7 + k]! * v7;
    }
  }
  for (; p < to; p++) {
    const o = column[p]! * K;
    const v = value[p]!;
    for (let k = 0; k < K; k++) out[k] = out[k]! + W[o + k]! * v;
  }
}

/** The bias enters the solver as one more feature of constant value, as in liblinear. */
const BIAS = 1;

/** Training rows in compressed sparse row form, the bias column (if any) last in every row. */
interface Rows {
  start: Int32Array;
  column: Int32Array;
  value: Float32Array;
  /** Squared norm of each row. */
  norm2: Float64Array;
}

function toRows(vectors: SparseVector[], biasColumn: number | null): Rows {
  const extra = biasColumn === null ? 0 : 1;
  let total = 0;
  for (const v of vectors) total += v.indices.length + extra;
  const start = new Int32Array(vectors.length + 1);
  const column = new Int32Array(total);
  const value = new Float32Array(total);
  const norm2 = new Float64Array(vectors.length);
  let p = 0;
  for (let i = 0; i < vectors.length; i++) {
    const v = vectors[i]!;
    start[i] = p;
    column.set(v.indices, p);
    value.set(v.values, p);
    p += v.indices.length;
    if (biasColumn !== null) {
      column[p] = biasColumn;
      value[p++] = BIAS;
    }
    let s = 0;
    for (let q = start[i]!; q < p; q++) s += value[q]! * value[q]!;
    norm2[i] = s;
  }
  start[vectors.length] = p;
  return { start, column, value, norm2 };
}

/**
 * The dual variables of every example, and which classes are still in play for it: the active
 * ones come first in `alphaIndex`, and `yIndex` is where the example's own class sits there.
 * Kept between solver calls, so training can go on after examples are added.
 */
interface DualState {
  K: number;
  alpha: Float64Array;
  alphaIndex: Int32Array;
  activeClasses: Int32Array;
  yIndex: Int32Array;
}

function dualState(y: Int32Array, K: number): DualState {
  const N = y.length;
  const alphaIndex = new Int32Array(N * K);
  for (let i = 0; i < N; i++) for (let m = 0; m < K; m++) alphaIndex[i * K + m] = m;
  return { K, alpha: new Float64Array(N * K), alphaIndex, activeClasses: new Int32Array(N).fill(K), yIndex: Int32Array.from(y) };
}

/**
 * Crammer–Singer multiclass SVM by dual coordinate descent with shrinking (Keerthi et al. 2008,
 * liblinear's Solver_MCSVM_CS), over rows [from, to). `W` (feature-major, bias row last)
 * must equal its starting weights plus Σ alpha·x of the state, and is updated in place. Starting
 * from non-zero weights solves the problem regularised towards them, which is how `update`
 * learns new examples without forgetting the rest.
 */
function solveCrammerSinger(
  rows: Rows,
  y: Int32Array,
  state: DualState,
  from: number,
  to: number,
  W: Float32Array,
  C: number,
  epsilon: number,
  maxEpochs: number,
  rand: () => number,
): void {
  const { K, alpha, alphaIndex, activeClasses, yIndex } = state;
  const { start, column, value, norm2 } = rows;
  const count = to - from;
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = from + i;
  const S = new Float64Array(K);
  const G = new Float64Array(K);
  const B = new Float64Array(K);
  const D = new Float64Array(K);
  const dClass = new Int32Array(K);
  const dValue = new Float64Array(K);

  let activeSize = count;
  let epsShrink = Math.max(10 * epsilon, 1);
  let fromAll = true;
  for (let epoch = 0; epoch < maxEpochs; epoch++) {
    let violation = -Infinity;
    for (let s = activeSize - 1; s > 0; s--) {
      const j = Math.floor(rand() * (s + 1));
      const t = order[s]!;
      order[s] = order[j]!;
      order[j] = t;
    }
    for (let s = 0; s < activeSize; s++) {
      const i = order[s]!;
      const base = i * K;
      const A = norm2[i]!;
      const r0 = start[i]!;
      const r1 = start[i + 1]!;
      let act = activeClasses[i]!;
      let yi = yIndex[i]!;
      // Scores of the active classes: all at once while many are active, else one by one.
      if (act * 4 > K) {
        S.fill(0);
        accumulate(W, K, column, value, r0, r1, S);
        for (let m = 0; m < act; m++) G[m] = S[alphaIndex[base + m]!]! + 1;
      } else {
        for (let m = 0; m < act; m++) {
          G[m] = 1;
          dClass[m] = alphaIndex[base + m]!;
        }
        for (let p = r0; p < r1; p++) {
          const o = column[p]! * K;
          const v = value[p]!;
          for (let m = 0; m < act; m++) G[m] = G[m]! + W[o + dClass[m]!]! * v;
        }
      }
      if (yi < act) G[yi] = G[yi]! - 1;

      let minG = Infinity;
      let maxG = -Infinity;
      for (let m = 0; m < act; m++) {
        const g = G[m]!;
        if (alpha[base + alphaIndex[base + m]!]! < 0 && g < minG) minG = g;
        if (g > maxG) maxG = g;
      }
      if (yi < act && alpha[base + y[i]!]! < C && G[yi]! < minG) minG = G[yi]!;

      // Shrink the classes that sit at their bound and cannot gain for this example.
      for (let m = 0; m < act; m++) {
        if (!stuck(m, yi, alpha[base + alphaIndex[base + m]!]!, G[m]!, minG, C)) continue;
        act--;
        while (act > m) {
          if (!stuck(act, yi, alpha[base + alphaIndex[base + act]!]!, G[act]!, minG, C)) {
            const ta = alphaIndex[base + m]!;
            alphaIndex[base + m] = alphaIndex[base + act]!;
            alphaIndex[base + act] = ta;
            const tg = G[m]!;
            G[m] = G[act]!;
            G[act] = tg;
            if (yi === act) yi = m;
            else if (yi === m) yi = act;
            break;
          }
          act--;
        }
      }
      activeClasses[i] = act;
      yIndex[i] = yi;
      if (act <= 1) {
        activeSize--;
        order[s] = order[activeSize]!;
        order[activeSize] = i;
        s--;
        continue;
      }
      if (maxG - minG <= 1e-12) continue;
      if (maxG - minG > violation) violation = maxG - minG;

      // The example's sub-problem over its active classes has a closed form (sort, then threshold).
      for (let m = 0; m < act; m++) {
        B[m] = G[m]! - A * alpha[base + alphaIndex[base + m]!]!;
        D[m] = B[m]!;
      }
      if (yi < act) D[yi] = D[yi]! + A * C;
      const sorted = D.subarray(0, act).sort();
      let beta = sorted[act - 1]! - A * C;
      let r = 1;
      for (; r < act && beta < r * sorted[act - 1 - r]!; r++) beta += sorted[act - 1 - r]!;
      beta /= r;
      let changed = 0;
      for (let m = 0; m < act; m++) {
        const k = alphaIndex[base + m]!;
        const next = m === yi ? Math.min(C, (beta - B[m]!) / A) : Math.min(0, (beta - B[m]!) / A);
        const d = next - alpha[base + k]!;
        alpha[base + k] = next;
        if (Math.abs(d) >= 1e-12) {
          dClass[changed] = k;
          dValue[changed++] = d;
        }
      }
      for (let p = r0; p < r1; p++) {
        const o = column[p]! * K;
        const v = value[p]!;
        for (let z = 0; z < changed; z++) W[o + dClass[z]!] = W[o + dClass[z]!]! + dValue[z]! * v;
      }
    }
    if (violation < epsShrink) {
      if (violation < epsilon && fromAll) break;
      activeSize = count;
      activeClasses.fill(K, from, to);
      epsShrink = Math.max(epsShrink / 2, epsilon);
      fromAll = true;
    } else {
      fromAll = false;
    }
  }
}

function stuck(m: number, yi: number, a: number, g: number, minG: number, C: number): boolean {
  return a === (m === yi ? C : 0) && g < minG;
}

function softmaxInto(logits: ArrayLike<number>, out: Float64Array, inverseTemperature = 1): void {
  const K = out.length;
  let max = -Infinity;
  for (let k = 0; k < K; k++) if (logits[k]! > max) max = logits[k]!;
  let sum = 0;
  for (let k = 0; k < K; k++) {
    const e = Math.exp((logits[k]! - max) * inverseTemperature);
    out[k] = e;
    sum += e;
  }
  for (let k = 0; k < K; k++) out[k] = out[k]! / sum;
}

/** Probabilities from logits at a further temperature (1 keeps the model's own calibration). */
export function softmax(logits: ArrayLike<number>, temperature = 1): Float64Array {
  const out = new Float64Array(logits.length);
  softmaxInto(logits, out, 1 / temperature);
  return out;
}

/**
 * Mean cross-entropy of softmax(scores / T) against targets that put 1 − ε on the true class
 * and spread ε over the others (ε = 0 is the plain log loss).
 */
function logLoss(scores: Float64Array, y: Int32Array, K: number, T: number, epsilon = 0): number {
  const inv = 1 / T;
  const rest = K > 1 ? epsilon / (K - 1) : 0;
  let total = 0;
  for (let q = 0; q < y.length; q++) {
    const o = q * K;
    let max = -Infinity;
    for (let k = 0; k < K; k++) if (scores[o + k]! > max) max = scores[o + k]!;
    let sum = 0;
    let all = 0;
    for (let k = 0; k < K; k++) {
      const z = (scores[o + k]! - max) * inv;
      sum += Math.exp(z);
      all += z;
    }
    const lse = Math.log(sum);
    const own = (scores[o + y[q]!]! - max) * inv;
    total += (1 - epsilon) * (lse - own) + rest * (K * lse - (all - own));
  }
  return total / y.length;
}

/**
 * The temperature minimising the held-out cross-entropy, by golden-section search on log T.
 * The targets are smoothed as in Platt scaling (ε = 1 / (n + 2) for n held-out examples): when
 * every held-out example is right, the plain log loss keeps falling as T → 0 and every
 * probability would round to 1, a certainty that a few dozen examples cannot support.
 */
function fitTemperature(scores: Float64Array, y: Int32Array, K: number): number {
  const epsilon = 1 / (y.length + 2);
  const loss = (logT: number): number => logLoss(scores, y, K, Math.exp(logT), epsilon);
  return Math.exp(goldenSectionMin(loss, Math.log(1e-3), Math.log(1e3), 1e-3));
}

function defaultMinDf(_n: number): number {
  // Keeping n-grams seen once doubles the model (1.4 → 2.6 MiB int8 on Banking77's 10,000
  // texts) but they carry rare words that decide a few intents: 4-fold cross-validation on that
  // training set gave 0.9063 against 0.9043 with those n-grams dropped, at about 10 % more
  // training time.
  return 1;
}

/** Hold-out fits need enough examples to say something about a temperature. */
const MIN_HOLD_OUT = 30;

/** Trains a model on labelled texts. The same examples and options always give the same model. */
export function train(examples: Example[], options: Partial<TrainOptions> = {}): Model {
  const opts: TrainOptions = { ...defaultTrainOptions, ...options };
  if (examples.length === 0) throw new Error('cannot train on no examples');
  const labels = [...new Set(examples.map((e) => e.label))].sort();
  const classOf = new Map(labels.map((l, k) => [l, k]));
  const K = labels.length;
  const rand = seededRandom(opts.seed);

  // Rows in a shuffled order: the first `fitted` train the model whose temperature is fitted on
  // the rest; then the solver goes on over all of them from where it stood.
  const order = Array.from(examples.keys());
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const shuffled = order.map((i) => examples[i]!);
  const held = K > 1 ? Math.floor(shuffled.length * opts.holdOut) : 0;
  const heldCount = held >= MIN_HOLD_OUT ? held : 0;
  const fitted = shuffled.length - heldCount;

  const hashed = shuffled.map((e) => hashText(e.text, opts.features));
  const vocab = buildVocabulary(hashed, opts.features, opts.minDf ?? defaultMinDf(examples.length));
  const n = vocab.buckets.length;
  const rows = toRows(
    hashed.map((h) => vectorise(h, vocab)),
    n,
  );
  const y = Int32Array.from(shuffled, (e) => classOf.get(e.label)!);
  const W = new Float32Array((n + 1) * K);
  const state = dualState(y, K);
  solveCrammerSinger(rows, y, state, 0, fitted, W, opts.C, opts.epsilon, opts.maxEpochs, rand);

  let temperature = 1;
  let heldOut: HeldOutScores | null = null;
  const heldOutOutcomes: NonNullable<Model['heldOutOutcomes']> = [];
  if (heldCount > 0) {
    const scores = new Float64Array(heldCount * K);
    const yHeld = y.subarray(fitted);
    let correct = 0;
    for (let q = 0; q < heldCount; q++) {
      const out = scores.subarray(q * K, q * K + K);
      accumulate(W, K, rows.column, rows.value, rows.start[fitted + q]!, rows.start[fitted + q + 1]!, out);
      let best = 0;
      for (let k = 1; k < K; k++) if (out[k]! > out[best]!) best = k;
      if (best === yHeld[q]) correct++;
    }
    temperature = fitTemperature(scores, yHeld, K);
    for (let q = 0; q < heldCount; q++) {
      const p = softmax(scores.subarray(q * K, q * K + K), temperature);
      let best = 0;
      for (let k = 1; k < K; k++) if (p[k]! > p[best]!) best = k;
      heldOutOutcomes.push({ label: labels[best]!, confidence: p[best]!, correct: best === yHeld[q] });
    }
    heldOut = {
      examples: heldCount,
      accuracy: correct / heldCount,
      logLoss: logLoss(scores, yHeld, K, temperature),
      ece: expectedCalibrationError(
        heldOutOutcomes.map((o) => o.confidence),
        heldOutOutcomes.map((o) => o.correct),
      ),
    };
    // The held-out rows first on their own, so the pass over everything starts close to the end.
    solveCrammerSinger(rows, y, state, fitted, shuffled.length, W, opts.C, opts.epsilon, opts.maxEpochs, rand);
    solveCrammerSinger(rows, y, state, 0, shuffled.length, W, opts.C, opts.epsilon, opts.maxEpochs, rand);
  }
  return {
    labels,
    vocab,
    weights: W.slice(0, n * K),
    bias: W.slice(n * K),
    temperature,
    trainingSize: examples.length,
    heldOut,
    options: opts,
    heldOutOutcomes,
  };
}

/**
 * Learns from new labelled examples without retraining: the vocabulary grows by their unseen
 * n-grams, a label never seen before becomes a new class, and a few passes of the same solver
 * over the new examples move the weights only as far as needed to fit them. Returns a new model
 * and leaves the given one as it was.
 *
 * The biases stay as they are (a new class starts at the mean of the others): every text has
 * the bias feature, so with nothing but the new examples to balance it, a few updates would
 * raise one class's bias above every other class's score on every text.
 */
export function update(model: Model, examples: Example[], passes = 10): Model {
  if (examples.length === 0) return model;
  const opts = model.options;
  const known = new Set(model.labels);
  const labels = [...model.labels, ...new Set(examples.map((e) => e.label).filter((l) => !known.has(l)))];
  const classOf = new Map(labels.map((l, k) => [l, k]));
  const K0 = model.labels.length;
  const K = labels.length;
  const hashed = examples.map((e) => hashText(e.text, opts.features));
  const vocab = extendVocabulary(model.vocab, hashed);
  const n0 = model.vocab.buckets.length;
  const n = vocab.buckets.length;
  const W = new Float32Array((n + 1) * K);
  for (let c = 0; c < n0; c++) W.set(model.weights.subarray(c * K0, c * K0 + K0), c * K);
  W.set(model.bias, n * K);
  const meanBias = model.bias.reduce((a, b) => a + b, 0) / Math.max(1, K0);
  for (let k = K0; k < K; k++) W[n * K + k] = meanBias;
  const rows = toRows(
    hashed.map((h) => vectorise(h, vocab)),
    null,
  );
  const y = Int32Array.from(examples, (e) => classOf.get(e.label)!);
  solveCrammerSinger(rows, y, dualState(y, K), 0, y.length, W, opts.C, opts.epsilon, passes, seededRandom(opts.seed));
  return {
    labels,
    vocab,
    weights: W.slice(0, n * K),
    bias: W.slice(n * K),
    temperature: model.temperature,
    trainingSize: model.trainingSize + examples.length,
    heldOut: model.heldOut,
    options: opts,
  };
}

/** Logits of a vector, in `model.labels` order. */
export function logitsOf(model: Model, x: SparseVector, out = new Float64Array(model.labels.length)): Float64Array {
  const K = model.labels.length;
  for (let k = 0; k < K; k++) out[k] = model.bias[k]!;
  accumulate(model.weights, K, x.indices, x.values, 0, x.indices.length, out);
  const inv = 1 / model.temperature;
  for (let k = 0; k < K; k++) out[k] = out[k]! * inv;
  return out;
}

const EVIDENCE = 5;

/** Classifies one text. With `explain: false` the evidence is left empty, which saves a few microseconds. */
export function predict(model: Model, text: string, { explain = true }: { explain?: boolean } = {}): ClassifierPrediction {
  const K = model.labels.length;
  const opts = model.vocab.options;
  const traced = explain ? traceText(text, opts) : null;
  const origin = traced ? new Int32Array(traced.buckets.length) : undefined;
  const x = vectorise(traced ?? hashText(text, opts), model.vocab, origin);
  const logits = logitsOf(model, x);
  const probs = new Float64Array(K);
  softmaxInto(logits, probs);
  let best = 0;
  for (let k = 1; k < K; k++) if (probs[k]! > probs[best]!) best = k;
  const labels: Record<string, number> = {};
  for (let k = 0; k < K; k++) labels[model.labels[k]!] = probs[k]!;
  return {
    labels,
    label: model.labels[best]!,
    confidence: probs[best]!,
    logits,
    evidence: traced ? evidence(model, traced, x, origin!, best) : [],
    coverage: traced ? wordCoverage(model, traced) : 1,
  };
}

function wordCoverage(model: Model, traced: TracedText): number {
  let words = 0;
  let known = 0;
  for (let i = 0; i < traced.buckets.length; i++) {
    if (traced.span[i] !== 1) continue;
    words++;
    if (columnOf(model.vocab, traced.buckets[i]!) >= 0) known++;
  }
  return words === 0 ? 1 : known / words;
}

/** The words and phrases with the largest summed pull towards class `k`. */
function evidence(model: Model, traced: TracedText, x: SparseVector, origin: Int32Array, k: number): string[] {
  const K = model.labels.length;
  const words = traced.wordStart.length;
  // A term is a word (its character n-grams count towards it) or a run of words: keyed by its
  // first word and length.
  const opts = model.vocab.options;
  const longest = Math.max(1, opts.wordNgrams);
  const pull = new Float64Array(words * longest);
  for (let p = 0; p < x.indices.length; p++) {
    const contribution = x.values[p]! * model.weights[x.indices[p]! * K + k]!;
    if (contribution <= 0) continue;
    const i = origin[p]!;
    const key = traced.firstWord[i]! * longest + Math.max(1, traced.span[i]!) - 1;
    pull[key] = pull[key]! + contribution;
  }
  // The strongest keys, a few more than needed: one word can occur twice and merge into one term.
  const keep = 2 * EVIDENCE;
  const top: number[] = [];
  for (let key = 0; key < pull.length; key++) {
    const v = pull[key]!;
    if (v <= 0 || (top.length === keep && v <= pull[top[keep - 1]!]!)) continue;
    let at = top.length === keep ? keep - 1 : top.length;
    while (at > 0 && pull[top[at - 1]!]! < v) {
      top[at] = top[at - 1]!;
      at--;
    }
    top[at] = key;
  }
  // `top` is in falling order of pull, so merging keeps the result nearly sorted; a short
  // insertion sort finishes it.
  const terms: string[] = [];
  const weights: number[] = [];
  for (const key of top) {
    const first = Math.floor(key / longest);
    const last = first + (key % longest);
    const term = traced.normalised.slice(traced.wordStart[first]!, traced.wordEnd[last]!);
    const j = terms.indexOf(term);
    if (j >= 0) weights[j] = weights[j]! + pull[key]!;
    else {
      terms.push(term);
      weights.push(pull[key]!);
    }
  }
  for (let i = 1; i < terms.length; i++) {
    const t = terms[i]!;
    const w = weights[i]!;
    let j = i;
    while (j > 0 && (weights[j - 1]! < w || (weights[j - 1] === w && terms[j - 1]! > t))) {
      terms[j] = terms[j - 1]!;
      weights[j] = weights[j - 1]!;
      j--;
    }
    terms[j] = t;
    weights[j] = w;
  }
  if (terms.length > EVIDENCE) terms.length = EVIDENCE;
  return terms;
}
