// The built-in reply drafter: for a customer message and its predicted intent, retrieve the best
// past human-approved reply of that intent and adapt it to this customer. No network, no model
// weights: the reply library is the model, and every reply an agent approves grows it.
//
// API (all pure; the library is plain data the store keeps)
//   emptyLibrary()                                    → ReplyLibrary
//   addApprovedReply(library, approved, keys?)        → { library, id, added } (dedupes)
//   recordDraftOutcome(library, sourceId, action, finalIntent?) → ReplyLibrary (counts sent-unchanged for the confidence)
//   indexReplies(library, features?)                  → ReplyIndex (tf-idf vectors; rebuild after changes)
//   draftReply(index, message, intent, intentConfidence, context, options?) → ReplyDraft | null
//   placeholdersOf(text) / fillPlaceholders(text, context) / templatize(text, context, keys?)
//
// Retrieval: cosine similarity of tf-idf vectors (the built-in classifier's hashed word and
// character n-grams, features.ts) between the new message and the customer messages each
// library reply has answered; a reply's similarity is that of its closest message. Only replies
// of the predicted intent compete.
//
// Confidence of a draft = intentConfidence × min(1, similarity / FULL_MATCH) × acceptance, where
// acceptance is the share of the reply's past drafts that agents sent unchanged, counting only
// drafts whose intent the agent kept (a draft of the wrong intent says nothing about the reply),
// smoothed as (sent + 1) / (uses + 2). It reads as "the agent would send this unchanged": the
// intent must be right, the message must be like one the reply was approved for, and agents must
// have sent the reply as is before. A reply nobody has judged yet has acceptance ½, so it can
// never reach an automatic-send threshold above ½ until agents have sent it unchanged a few
// times: trust in a reply is earned, not assumed. Similarity only lowers the confidence below
// FULL_MATCH: above it, on Banking77 (`npm run bench -- replies`), scaling by similarity ranked
// drafts worse than the intent probability alone; below it, the message is unlike anything the
// reply answered before.
//
// Placeholders: {name} or {name|fallback} in a reply; filled from the item's fields, then its
// metadata (strings and finite numbers). A reply with a placeholder that can be filled neither way
// (and has no fallback) is never drafted: the next best reply of the intent is tried instead.
import { buildVocabulary, columnOf, hashText, vectorise, type FeatureOptions, type SparseVector, type Vocabulary } from './features.ts';
import { replyTokens, type DraftAction } from '../../core/editDistance.ts';

export interface ReplyEntry {
  /** Stable id derived from the intent and the reply text (see `replyId`). */
  id: string;
  intent: string;
  /** The reply, possibly with {placeholders}. */
  text: string;
  /** Customer messages this reply was approved for (newest last, at most MAX_MESSAGES_PER_REPLY). */
  messages: string[];
  /** Drafts made from this reply that an agent then judged. */
  uses: number;
  /** Of those, sent unchanged. */
  sentUnchanged: number;
}

export interface ReplyLibrary {
  entries: ReplyEntry[];
}

/** What an agent approved: the customer's message, the reply as sent, the intent. */
export interface ApprovedReply {
  intent: string;
  message: string;
  text: string;
  /** The item's fields and metadata: values found in the text become placeholders (see `templatize`). */
  context?: DraftContext;
}

export interface DraftContext {
  fields: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

export interface ReplyDraft {
  /** The reply with every placeholder filled. */
  text: string;
  /** In [0, 1]; see the top of this file. */
  confidence: number;
  /** The library reply it came from. */
  sourceId: string;
  intent: string;
  /** Cosine similarity of the message to the source's closest message, in [0, 1]. */
  similarity: number;
}

export interface DraftOptions {
  /** Drafts below this retrieval similarity are not made (default 0: any reply of the intent). */
  minSimilarity?: number;
}

export const MAX_MESSAGES_PER_REPLY = 50;

/** Retrieval similarity from which a message counts as fully like the reply's past messages. */
export const FULL_MATCH = 0.3;

/** Field and metadata keys whose values `templatize` turns into placeholders by default. */
export const DEFAULT_PLACEHOLDER_KEYS: readonly string[] = [
  'customerName',
  'firstName',
  'name',
  'orderId',
  'accountId',
  'ticketId',
  'trackingNumber',
];

/** Features for retrieval: word unigrams and bigrams, and character 3–5-grams for misspellings. */
export const REPLY_FEATURES: FeatureOptions = { bits: 18, wordNgrams: 2, charMin: 3, charMax: 5 };

export function emptyLibrary(): ReplyLibrary {
  return { entries: [] };
}

function normalisedReply(text: string): string {
  return replyTokens(text)
    .map((t) => t.toLowerCase())
    .join(' ');
}

/** FNV-1a, 2 × 32 bits, hex: a short stable id that needs no crypto module. */
function hash64(s: string): string {
  let a = 0x811c9dc5;
  let b = 0xcbf29ce4;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x01000197) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

/** The id of a reply: the same intent and the same words (case and spacing aside) give the same id. */
export function replyId(intent: string, text: string): string {
  return `reply-${hash64(`${intent}\u0000${normalisedReply(text)}`)}`;
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)(?:\|([^{}]*))?\}/g;

/** The placeholder names in `text`, in order of first appearance. */
export function placeholdersOf(text: string): string[] {
  return [...new Set(Array.from(text.matchAll(PLACEHOLDER), (m) => m[1]!))];
}

function valueOf(context: DraftContext, key: string): string | null {
  for (const source of [context.fields, context.metadata]) {
    if (!Object.hasOwn(source, key)) continue;
    const v = source[key];
    if (typeof v === 'string' && v.trim().length > 0) return v.trim();
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  }
  return null;
}

/** `text` with its placeholders filled from the context, or null when one can be filled neither from it nor by its fallback. */
export function fillPlaceholders(text: string, context: DraftContext): string | null {
  let missing = false;
  const out = text.replace(PLACEHOLDER, (_, key: string, fallback: string | undefined) => {
    const v = valueOf(context, key);
    if (v !== null) return v;
    if (fallback !== undefined) return fallback;
    missing = true;
    return '';
  });
  return missing ? null : out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * `text` with the values of the context's `keys` (fields first, then metadata) replaced by
 * {key}, where they stand as whole words: "Hi Anna, order 1234 …" → "Hi {customerName}, order
 * {orderId} …". Values shorter than 2 characters are left alone; longer values are replaced first.
 */
export function templatize(text: string, context: DraftContext, keys: readonly string[] = DEFAULT_PLACEHOLDER_KEYS): string {
  const pairs: Array<[string, string]> = [];
  for (const key of keys) {
    const v = valueOf(context, key);
    if (v !== null && v.length >= 2) pairs.push([key, v]);
  }
  pairs.sort((x, y) => y[1].length - x[1].length);
  let out = text;
  for (const [key, v] of pairs) {
    out = out.replace(new RegExp(`(?<![\\p{L}\\p{N}_{])${escapeRegExp(v)}(?![\\p{L}\\p{N}_}])`, 'gu'), `{${key}}`);
  }
  return out;
}

/**
 * The library with `approved` in it. The same reply (same intent and words, case and spacing
 * aside) is one entry: its new message is added to that entry's messages (unless already there)
 * and its counts are kept. Replies and messages with no words are not added.
 */
export function addApprovedReply(
  library: ReplyLibrary,
  approved: ApprovedReply,
  keys: readonly string[] = DEFAULT_PLACEHOLDER_KEYS,
): { library: ReplyLibrary; id: string | null; added: boolean } {
  const text = (approved.context ? templatize(approved.text, approved.context, keys) : approved.text).trim();
  const message = approved.message.trim();
  if (replyTokens(text).length === 0 || replyTokens(message).length === 0 || approved.intent.length === 0) {
    return { library, id: null, added: false };
  }
  const id = replyId(approved.intent, text);
  const at = library.entries.findIndex((e) => e.id === id);
  if (at < 0) {
    const entry: ReplyEntry = { id, intent: approved.intent, text, messages: [message], uses: 0, sentUnchanged: 0 };
    return { library: { entries: [...library.entries, entry] }, id, added: true };
  }
  const old = library.entries[at]!;
  const key = normalisedReply(message);
  if (old.messages.some((m) => normalisedReply(m) === key)) return { library, id, added: false };
  const messages = [...old.messages, message].slice(-MAX_MESSAGES_PER_REPLY);
  const entries = library.entries.slice();
  entries[at] = { ...old, messages };
  return { library: { entries }, id, added: false };
}

/**
 * The library after an agent judged a draft of `sourceId`: one more use, and one more unchanged
 * send if `action` is `sent`. When the agent put the message under another intent than the
 * reply's (`finalIntent`), the draft failed on the intent, not on the reply: nothing is counted.
 */
export function recordDraftOutcome(library: ReplyLibrary, sourceId: string, action: DraftAction, finalIntent?: string): ReplyLibrary {
  const at = library.entries.findIndex((e) => e.id === sourceId);
  if (at < 0) return library;
  const old = library.entries[at]!;
  if (finalIntent !== undefined && finalIntent !== old.intent) return library;
  const entries = library.entries.slice();
  entries[at] = { ...old, uses: old.uses + 1, sentUnchanged: old.sentUnchanged + (action === 'sent' ? 1 : 0) };
  return { entries };
}

/** The smoothed share of a reply's drafts sent unchanged: (sent + 1) / (uses + 2). */
export function acceptanceOf(entry: Pick<ReplyEntry, 'uses' | 'sentUnchanged'>): number {
  return (entry.sentUnchanged + 1) / (entry.uses + 2);
}

export interface ReplyIndex {
  library: ReplyLibrary;
  vocab: Vocabulary;
  /** Per entry, the vectors of its messages. */
  vectors: SparseVector[][];
  /** Entry positions by intent. */
  byIntent: Map<string, number[]>;
}

/** The retrieval index of a library: idf over all its messages. Rebuild it after the library changes. */
export function indexReplies(library: ReplyLibrary, features: FeatureOptions = REPLY_FEATURES): ReplyIndex {
  const hashed = library.entries.map((e) => e.messages.map((m) => hashText(m, features)));
  const vocab = buildVocabulary(hashed.flat(), features, 1);
  const vectors = hashed.map((hs) => hs.map((h) => vectorise(h, vocab)));
  const byIntent = new Map<string, number[]>();
  library.entries.forEach((e, i) => {
    const list = byIntent.get(e.intent);
    if (list) list.push(i);
    else byIntent.set(e.intent, [i]);
  });
  return { library, vocab, vectors, byIntent };
}

function dot(dense: Float32Array, v: SparseVector): number {
  let s = 0;
  for (let i = 0; i < v.indices.length; i++) s += dense[v.indices[i]!]! * v.values[i]!;
  return s;
}

/**
 * The query's tf-idf weights on the vocabulary's columns (dense), and the factor that
 * L2-normalises them over all of its n-grams: n-grams the library has never seen count as the rarest known ones, so a message made
 * mostly of words no approved message had is not "similar" through its one familiar word.
 */
function queryVector(index: ReplyIndex, message: string): { dense: Float32Array; scale: number } {
  const { vocab } = index;
  const hashed = hashText(message, vocab.options);
  const dense = new Float32Array(vocab.buckets.length);
  const unseenIdf = Math.log(1 + vocab.documents) + 1;
  let norm = 0;
  for (let i = 0; i < hashed.buckets.length; i++) {
    const count = hashed.counts[i]!;
    const tf = count === 1 ? 1 : 1 + Math.log(count);
    const column = columnOf(vocab, hashed.buckets[i]!);
    const w = tf * (column >= 0 ? vocab.idf[column]! : unseenIdf);
    if (column >= 0) dense[column] = w;
    norm += w * w;
  }
  return { dense, scale: norm > 0 ? 1 / Math.sqrt(norm) : 0 };
}

/** The closest messages' similarity for each reply of `intent`, best first. */
export function rankReplies(index: ReplyIndex, message: string, intent: string): Array<{ entry: ReplyEntry; similarity: number }> {
  const positions = index.byIntent.get(intent);
  if (!positions) return [];
  const { dense, scale } = queryVector(index, message);
  const ranked = positions.map((p) => {
    let best = 0;
    for (const v of index.vectors[p]!) best = Math.max(best, dot(dense, v) * scale);
    // Float rounding can put a vector's cosine with itself a hair above 1.
    return { entry: index.library.entries[p]!, similarity: Math.min(1, Math.max(0, best)) };
  });
  // Ties (e.g. no words in common) go to the reply agents accepted more, then to the older entry.
  return ranked.sort((a, b) => b.similarity - a.similarity || acceptanceOf(b.entry) - acceptanceOf(a.entry));
}

/**
 * A draft reply to `message` from the library reply of `intent` whose past messages are closest,
 * adapted to the context; null when there is no intent, no reply of it, none close enough, or
 * none whose placeholders can all be filled. See the top of the file for the confidence.
 */
export function draftReply(
  index: ReplyIndex,
  message: string,
  intent: string | null,
  intentConfidence: number | null,
  context: DraftContext,
  options: DraftOptions = {},
): ReplyDraft | null {
  if (intent === null || intentConfidence === null || !Number.isFinite(intentConfidence)) return null;
  const pIntent = Math.min(1, Math.max(0, intentConfidence));
  const minSimilarity = options.minSimilarity ?? 0;
  for (const { entry, similarity } of rankReplies(index, message, intent)) {
    if (similarity < minSimilarity) return null;
    const text = fillPlaceholders(entry.text, context);
    if (text === null) continue;
    const confidence = pIntent * Math.min(1, similarity / FULL_MATCH) * acceptanceOf(entry);
    return { text, confidence, sourceId: entry.id, intent, similarity };
  }
  return null;
}
