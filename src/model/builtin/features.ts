// Text → hashed n-grams → sparse feature vector, for the built-in classifier.
//
// Prediction has a budget of a few tens of microseconds, so this file avoids the obvious tools:
// no regular expression runs per text, no substring is allocated per n-gram, and every hash is
// grown one character code at a time. A trained model keeps only the hash buckets seen in enough
// training texts (a `Vocabulary`); that keeps the weight matrix small, and n-grams never seen in
// training cost nothing when predicting.

export interface FeatureOptions {
  /** Hash space of 2^bits buckets, before the vocabulary compacts it. */
  bits: number;
  /** Longest word n-gram (1 = unigrams only). */
  wordNgrams: number;
  /** Character n-grams of these lengths inside each word padded with one space each side; charMax 0 turns them off. */
  charMin: number;
  charMax: number;
}

/** The hashed n-grams of one text: distinct buckets (in order of first appearance) and their counts. */
export interface HashedText {
  buckets: Int32Array;
  counts: Float32Array;
}

/** A hashed text that also remembers which words each bucket came from, to explain a prediction. */
export interface TracedText extends HashedText {
  /** The text after normalisation, which the word offsets point into. */
  normalised: string;
  wordStart: Int32Array;
  wordEnd: Int32Array;
  /** For each bucket: the first word it was seen in, and how many words it spans (0 for a character n-gram, which lies inside its word). */
  firstWord: Int32Array;
  span: Int32Array;
}

// Character classes, looked up per UTF-16 code unit. Non-ASCII units are classified on first
// sight with a Unicode regular expression and remembered.
const UNKNOWN = 0;
const SPACE = 1;
const WORD = 2;
const DIGIT = 3;
const SYMBOL = 4;
const classOf = new Uint8Array(65536);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  classOf[c] = /[a-zA-Z_]/.test(ch) ? WORD : /[0-9]/.test(ch) ? DIGIT : /[\s\x00-\x1f\x7f]/.test(ch) ? SPACE : SYMBOL;
}

function classify(code: number): number {
  const known = classOf[code]!;
  if (known !== UNKNOWN) return known;
  const ch = String.fromCharCode(code);
  const cls = /\p{Nd}/u.test(ch)
    ? DIGIT
    : /[\p{L}\p{N}\p{M}]/u.test(ch) || (code >= 0xd800 && code <= 0xdfff)
      ? WORD
      : /[\s\p{C}]/u.test(ch)
        ? SPACE
        : SYMBOL;
  classOf[code] = cls;
  return cls;
}

const APOSTROPHE = 39;
const RIGHT_QUOTE = 0x2019;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const SEED_WORD = 0x9e3779b1;
const SEED_CHAR = 0x85ebca77;
const SEED_NGRAM = 0xc2b2ae3d;

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// Scratch space reused by every call. Extraction is synchronous, so calls never interleave;
// results are always copied out before returning.
let codes = new Uint16Array(256);
let starts = new Int32Array(64);
let ends = new Int32Array(64);
let wordHash = new Int32Array(64);
let emitBucket = new Int32Array(1024);
let emitCount = new Float32Array(1024);
let emitWord = new Int32Array(1024);
let emitSpan = new Int32Array(1024);
let table = new Int32Array(2048);

function grow<T extends Int32Array | Float32Array | Uint16Array>(a: T, need: number, make: (n: number) => T): T {
  if (a.length >= need) return a;
  let n = a.length * 2;
  while (n < need) n *= 2;
  const b = make(n);
  b.set(a);
  return b;
}

/**
 * Normalises `text` into the scratch `codes` (NFKC, lower case, every digit folded to 0,
 * apostrophes inside words dropped) and records word boundaries. A word is a run of letters,
 * digits and marks; any other visible character is a word of its own. Returns the word count.
 */
function tokenise(raw: string): number {
  let ascii = true;
  for (let i = 0; i < raw.length; i++) {
    if (raw.charCodeAt(i) > 127) {
      ascii = false;
      break;
    }
  }
  const text = ascii ? raw : raw.normalize('NFKC').toLowerCase();
  codes = grow(codes, text.length, (n) => new Uint16Array(n));
  let len = 0;
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    const cls = c < 128 ? classOf[c]! : classify(c);
    if (cls === WORD || cls === DIGIT) {
      if (cls === DIGIT) c = 48;
      else if (c >= 65 && c <= 90) c += 32;
      if (!inWord) {
        if (words === starts.length) {
          starts = grow(starts, words + 1, (n) => new Int32Array(n));
          ends = grow(ends, words + 1, (n) => new Int32Array(n));
        }
        starts[words] = len;
        inWord = true;
      }
      codes[len++] = c;
      continue;
    }
    if (inWord && (c === APOSTROPHE || c === RIGHT_QUOTE) && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      const nextCls = next < 128 ? classOf[next]! : classify(next);
      if (nextCls === WORD) continue;
    }
    if (inWord) {
      ends[words++] = len;
      inWord = false;
    }
    if (cls === SYMBOL) {
      if (words === starts.length) {
        starts = grow(starts, words + 1, (n) => new Int32Array(n));
        ends = grow(ends, words + 1, (n) => new Int32Array(n));
      }
      starts[words] = len;
      codes[len++] = c;
      ends[words++] = len;
    } else if (len > 0 && codes[len - 1] !== 32) {
      codes[len++] = 32;
    }
  }
  if (inWord) ends[words++] = len;
  return words;
}

let distinct = 0;
let tableMask = 0;

function emit(h: number, mask: number, word: number, span: number): void {
  const b = fmix(h) & mask;
  let t = (Math.imul(b, 0x9e3779b1) >>> 0) & tableMask;
  for (;;) {
    const slot = table[t]!;
    if (slot === 0) break;
    if (emitBucket[slot - 1] === b) {
      emitCount[slot - 1]!++;
      return;
    }
    t = (t + 1) & tableMask;
  }
  table[t] = distinct + 1;
  emitBucket[distinct] = b;
  emitCount[distinct] = 1;
  emitWord[distinct] = word;
  emitSpan[distinct] = span;
  distinct++;
}

function hashInto(words: number, opts: FeatureOptions): void {
  const mask = (1 << opts.bits) - 1;
  // Upper bound on distinct n-grams, so the open-addressing table stays at most half full.
  let bound = words * opts.wordNgrams;
  if (opts.charMax > 0) {
    for (let w = 0; w < words; w++) bound += (ends[w]! - starts[w]! + 2) * (opts.charMax - opts.charMin + 1);
  }
  emitBucket = grow(emitBucket, bound, (n) => new Int32Array(n));
  emitCount = grow(emitCount, bound, (n) => new Float32Array(n));
  emitWord = grow(emitWord, bound, (n) => new Int32Array(n));
  emitSpan = grow(emitSpan, bound, (n) => new Int32Array(n));
  let size = 64;
  while (size < bound * 2) size *= 2;
  if (table.length < size) table = new Int32Array(size);
  tableMask = size - 1;
  wordHash = grow(wordHash, words, (n) => new Int32Array(n));
  distinct = 0;

  const cmin = opts.charMin;
  const cmax = opts.charMax;
  for (let w = 0; w < words; w++) {
    const s = starts[w]!;
    const e = ends[w]!;
    let h = (FNV_OFFSET ^ SEED_WORD) >>> 0;
    for (let i = s; i < e; i++) h = Math.imul(h ^ codes[i]!, FNV_PRIME);
    wordHash[w] = h;
    emit(h, mask, w, 1);
    if (cmax === 0 || e - s < 2) continue;
    // n-grams of " word ": position 0 and len-1 are the padding spaces.
    const len = e - s + 2;
    for (let i = 0; i < len; i++) {
      let g = (FNV_OFFSET ^ SEED_CHAR) >>> 0;
      const top = Math.min(cmax, len - i);
      for (let n = 1; n <= top; n++) {
        const p = i + n - 1;
        g = Math.imul(g ^ (p === 0 || p === len - 1 ? 32 : codes[s + p - 1]!), FNV_PRIME);
        // The whole padded word would only repeat the word itself.
        if (n >= cmin && !(i === 0 && n === len)) emit(g, mask, w, 0);
      }
    }
  }
  for (let n = 2; n <= opts.wordNgrams; n++) {
    for (let w = 0; w + n <= words; w++) {
      let h = (SEED_NGRAM + n) >>> 0;
      for (let k = 0; k < n; k++) h = Math.imul(h ^ wordHash[w + k]!, FNV_PRIME) ^ (h >>> 15);
      emit(h, mask, w, n);
    }
  }
  table.fill(0, 0, size);
}

/** The first `length` codes as a string, in chunks to stay clear of the engine's argument limit. */
function stringOf(units: Uint16Array, length: number): string {
  const CHUNK = 4096;
  let out = '';
  for (let i = 0; i < length; i += CHUNK) {
    out += String.fromCharCode.apply(null, units.subarray(i, Math.min(length, i + CHUNK)) as unknown as number[]);
  }
  return out;
}

/** The hashed n-grams of `text`. The same text and options give the same buckets on any machine. */
export function hashText(text: string, opts: FeatureOptions): HashedText {
  hashInto(tokenise(text), opts);
  return { buckets: emitBucket.slice(0, distinct), counts: emitCount.slice(0, distinct) };
}

/** Like `hashText`, and also where each bucket came from. */
export function traceText(text: string, opts: FeatureOptions): TracedText {
  const words = tokenise(text);
  const normalised = stringOf(codes, words > 0 ? ends[words - 1]! : 0);
  hashInto(words, opts);
  return {
    buckets: emitBucket.slice(0, distinct),
    counts: emitCount.slice(0, distinct),
    normalised,
    wordStart: starts.slice(0, words),
    wordEnd: ends.slice(0, words),
    firstWord: emitWord.slice(0, distinct),
    span: emitSpan.slice(0, distinct),
  };
}

/** One sparse vector: vocabulary columns and their weights (tf-idf, L2-normalised). */
export interface SparseVector {
  indices: Int32Array;
  values: Float32Array;
}

/**
 * The hash buckets a model knows, each with its column in the weight matrix and its idf.
 * Columns are numbered in the order buckets were admitted, so a vocabulary can grow by
 * appending without moving any learned weight.
 */
export interface Vocabulary {
  options: FeatureOptions;
  /** Bucket of each column. */
  buckets: Int32Array;
  idf: Float32Array;
  /** Texts the document frequencies were counted over. */
  documents: number;
  /**
   * Open-addressing table from bucket to column + 1 (0 = empty), rebuilt from `buckets`, never
   * stored. A few times the vocabulary in size rather than one slot per bucket of the hash space,
   * so it stays in cache: a lookup per n-gram is on the prediction path.
   */
  slots: Int32Array;
}

function idfOf(documents: number, df: number): number {
  return Math.log((1 + documents) / (1 + df)) + 1;
}

function slotTable(buckets: Int32Array): Int32Array {
  let size = 16;
  while (size < buckets.length * 3) size *= 2;
  const slots = new Int32Array(size);
  const mask = size - 1;
  for (let c = 0; c < buckets.length; c++) {
    // Buckets are already mixed hashes, so their low bits spread well.
    let t = buckets[c]! & mask;
    while (slots[t] !== 0) t = (t + 1) & mask;
    slots[t] = c + 1;
  }
  return slots;
}

/** The column of `bucket`, or -1 when the vocabulary lacks it. */
export function columnOf(vocab: Vocabulary, bucket: number): number {
  const { slots, buckets } = vocab;
  const mask = slots.length - 1;
  for (let t = bucket & mask; ; t = (t + 1) & mask) {
    const s = slots[t]!;
    if (s === 0) return -1;
    if (buckets[s - 1] === bucket) return s - 1;
  }
}

/** A vocabulary from its stored parts. */
export function makeVocabulary(options: FeatureOptions, buckets: Int32Array, idf: Float32Array, documents: number): Vocabulary {
  return { options, buckets, idf, documents, slots: slotTable(buckets) };
}

/** A vocabulary of every bucket found in at least `minDf` of the texts, columns in bucket order. */
export function buildVocabulary(texts: HashedText[], options: FeatureOptions, minDf: number): Vocabulary {
  const df = new Int32Array(1 << options.bits);
  for (const t of texts) for (let i = 0; i < t.buckets.length; i++) df[t.buckets[i]!]!++;
  let n = 0;
  for (let b = 0; b < df.length; b++) if (df[b]! >= minDf) n++;
  const buckets = new Int32Array(n);
  const idf = new Float32Array(n);
  n = 0;
  for (let b = 0; b < df.length; b++) {
    if (df[b]! < minDf) continue;
    buckets[n] = b;
    idf[n++] = idfOf(texts.length, df[b]!);
  }
  return makeVocabulary(options, buckets, idf, texts.length);
}

/**
 * Appends the buckets of `texts` that the vocabulary lacks, with an idf as if their document
 * frequency had been counted over the original texts plus these. Known columns keep their idf,
 * so what the model learned about them still applies.
 */
export function extendVocabulary(vocab: Vocabulary, texts: HashedText[]): Vocabulary {
  const fresh = new Map<number, number>();
  for (const t of texts) {
    for (let i = 0; i < t.buckets.length; i++) {
      const b = t.buckets[i]!;
      if (columnOf(vocab, b) < 0) fresh.set(b, (fresh.get(b) ?? 0) + 1);
    }
  }
  if (fresh.size === 0) return vocab;
  const documents = vocab.documents + texts.length;
  const n = vocab.buckets.length;
  const buckets = new Int32Array(n + fresh.size);
  const idf = new Float32Array(n + fresh.size);
  buckets.set(vocab.buckets);
  idf.set(vocab.idf);
  let c = n;
  for (const [b, df] of fresh) {
    buckets[c] = b;
    idf[c++] = idfOf(documents, df);
  }
  return makeVocabulary(vocab.options, buckets, idf, documents);
}

/**
 * The vector of a hashed text: sublinear term frequency (1 + ln tf) times idf, L2-normalised,
 * over the vocabulary's columns only. `origin`, when given, receives for each entry the position
 * in `hashed` it came from (used to explain a prediction).
 */
export function vectorise(hashed: HashedText, vocab: Vocabulary, origin?: Int32Array): SparseVector {
  const { buckets, counts } = hashed;
  const { slots, idf } = vocab;
  const known = vocab.buckets;
  const mask = slots.length - 1;
  const indices = new Int32Array(buckets.length);
  const values = new Float32Array(buckets.length);
  let k = 0;
  let norm = 0;
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i]!;
    let c = -1;
    for (let t = b & mask; ; t = (t + 1) & mask) {
      const slot = slots[t]!;
      if (slot === 0) break;
      if (known[slot - 1] === b) {
        c = slot - 1;
        break;
      }
    }
    if (c < 0) continue;
    const count = counts[i]!;
    const v = (count === 1 ? 1 : 1 + Math.log(count)) * idf[c]!;
    indices[k] = c;
    values[k] = v;
    if (origin) origin[k] = i;
    norm += v * v;
    k++;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < k; i++) values[i] = values[i]! * scale;
  return { indices: indices.subarray(0, k), values: values.subarray(0, k) };
}
