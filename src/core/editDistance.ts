// How much an agent changed a machine-drafted reply before sending it: the measure behind the
// draft acceptance rate, the rewrite rate per intent, and whether a sent reply may grow the
// reply library as an unedited acceptance. Pure.
//
// API
//   replyTokens(text)                        words and punctuation marks of a reply, case kept
//   levenshtein(a, b)                        edit distance between two sequences (insert, delete, substitute; each costs 1)
//   wordEditDistance(a, b) / charEditDistance(a, b)
//   editRate(draft, sent, unit = 'word')     distance / length of the longer one, in [0, 1]; 0 for two empty texts
//   classifyDraftAction(draft, sent, cut)    'sent' | 'edited' | 'rewritten', with the rate and distance
//   summariseDraftChanges(changes)           acceptance, edit and rewrite rates, mean edit rate: overall and per intent
//
// The normalised rate divides by the longer of the two, so it is bounded by 1 (every token of the
// longer text had to change) and symmetric; it is not a metric (no triangle inequality), the raw
// distance is. Word level is the unit for classification: an agent who fixes a typo has edited a
// draft, one who writes a new reply has rewritten it, and characters blur that difference
// (two unrelated English sentences still share many characters in the same order).

/** Up to this word edit rate an agent's change counts as an edit of the draft; above it, a rewrite. */
export const EDITED_MAX_RATE = 0.5;

export type DraftAction = 'sent' | 'edited' | 'rewritten';

export interface DraftChange {
  action: DraftAction;
  /** Word edit rate from the draft to what was sent, in [0, 1]. */
  rate: number;
  /** Word edit distance from the draft to what was sent. */
  distance: number;
}

export type EditUnit = 'word' | 'char';

// A token is a run of letters, digits and marks (with inner apostrophes: "don't" is one word), or
// a single other visible character. White space only separates, so re-spacing is no change.
const TOKEN = /[\p{L}\p{N}\p{M}]+(?:['\u2019][\p{L}\p{N}\p{M}]+)*|[^\s\p{L}\p{N}\p{M}]/gu;

/** The words and punctuation marks of `text`, in order, case kept, after Unicode NFC. */
export function replyTokens(text: string): string[] {
  return text.normalize('NFC').match(TOKEN) ?? [];
}

/**
 * Levenshtein distance between two sequences (each insertion, deletion and substitution costs 1),
 * comparing elements with ===. Two rows of memory; time |a|·|b|.
 */
export function levenshtein<T>(a: readonly T[], b: readonly T[]): number {
  if (a.length < b.length) [a, b] = [b, a];
  // Common prefix and suffix cost nothing and are frequent in lightly edited drafts.
  let start = 0;
  while (start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const n = endB - start;
  if (n === 0) return endA - start;
  let prev = new Int32Array(n + 1);
  let cur = new Int32Array(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = start; i < endA; i++) {
    cur[0] = i - start + 1;
    const ai = a[i];
    for (let j = 1; j <= n; j++) {
      const cost = ai === b[start + j - 1] ? 0 : 1;
      const del = prev[j]! + 1;
      const ins = cur[j - 1]! + 1;
      const sub = prev[j - 1]! + cost;
      cur[j] = del < ins ? (del < sub ? del : sub) : ins < sub ? ins : sub;
    }
    [prev, cur] = [cur, prev];
  }
  return prev[n]!;
}

/** Edit distance in words and punctuation marks (see `replyTokens`). */
export function wordEditDistance(a: string, b: string): number {
  return levenshtein(replyTokens(a), replyTokens(b));
}

/** Edit distance in Unicode code points (a surrogate pair is one character), after NFC. */
export function charEditDistance(a: string, b: string): number {
  return levenshtein(Array.from(a.normalize('NFC')), Array.from(b.normalize('NFC')));
}

function units(text: string, unit: EditUnit): string[] {
  return unit === 'word' ? replyTokens(text) : Array.from(text.normalize('NFC'));
}

/** Edit distance divided by the length of the longer text, in [0, 1]; 0 when both are empty. */
export function editRate(draft: string, sent: string, unit: EditUnit = 'word'): number {
  const a = units(draft, unit);
  const b = units(sent, unit);
  const longer = Math.max(a.length, b.length);
  return longer === 0 ? 0 : levenshtein(a, b) / longer;
}

/**
 * What an agent did with a draft, judged from what they sent: `sent` when the words and marks are
 * the same (white space aside), `edited` up to `cut` (inclusive), `rewritten` above it.
 */
export function classifyDraftAction(draft: string, sent: string, cut: number = EDITED_MAX_RATE): DraftChange {
  if (!(cut >= 0 && cut <= 1)) throw new RangeError(`the edit cut must be in [0, 1], not ${cut}`);
  const a = replyTokens(draft);
  const b = replyTokens(sent);
  const distance = levenshtein(a, b);
  const longer = Math.max(a.length, b.length);
  const rate = longer === 0 ? 0 : distance / longer;
  const action: DraftAction = distance === 0 ? 'sent' : rate <= cut ? 'edited' : 'rewritten';
  return { action, rate, distance };
}

export interface DraftChangeSummary {
  drafts: number;
  sent: number;
  edited: number;
  rewritten: number;
  /** Share sent unchanged (the draft acceptance rate); 0 with no drafts. */
  acceptance: number;
  /** Share rewritten; 0 with no drafts. */
  rewriteRate: number;
  /** Mean word edit rate over the drafts; 0 with no drafts. */
  meanEditRate: number;
}

function summary(changes: ReadonlyArray<{ action: DraftAction; rate: number }>): DraftChangeSummary {
  const drafts = changes.length;
  const sent = changes.filter((c) => c.action === 'sent').length;
  const edited = changes.filter((c) => c.action === 'edited').length;
  const rewritten = drafts - sent - edited;
  const total = changes.reduce((s, c) => s + c.rate, 0);
  return {
    drafts,
    sent,
    edited,
    rewritten,
    acceptance: drafts === 0 ? 0 : sent / drafts,
    rewriteRate: drafts === 0 ? 0 : rewritten / drafts,
    meanEditRate: drafts === 0 ? 0 : total / drafts,
  };
}

/** How much agents changed drafts, overall and per intent (intents in name order). */
export function summariseDraftChanges(changes: ReadonlyArray<{ intent: string; action: DraftAction; rate: number }>): {
  overall: DraftChangeSummary;
  byIntent: Array<{ intent: string } & DraftChangeSummary>;
} {
  const groups = new Map<string, Array<{ action: DraftAction; rate: number }>>();
  for (const c of changes) {
    const g = groups.get(c.intent);
    if (g) g.push(c);
    else groups.set(c.intent, [c]);
  }
  const byIntent = [...groups.keys()].sort().map((intent) => ({ intent, ...summary(groups.get(intent)!) }));
  return { overall: summary(changes), byIntent };
}
