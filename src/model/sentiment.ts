// Customer sentiment for routing: text → score in [-1, 1] (negative is upset), from VADER
// (Hutto & Gilbert, ICWSM 2014; the npm port `vader-sentiment`, Apache-2.0), a rule-based scorer
// built for short social-media text: it weighs negation ("not good"), intensifiers ("really
// bad"), "but" clauses, capitals and exclamation marks. Runs in-process, no network, no weights.
//
// Why VADER: measured against the other well-used npm scorers (`sentiment` / AFINN-165,
// `wink-sentiment`) and the built-in classifier on the UCI Sentiment Labelled Sentences, with
// the cut set so that each flags the same 5 % of routine Banking77 queries, VADER found the most
// negative sentences (figures and command in bench/README.md, "Sentiment"). A lexicon scorer reads
// negative events ("my card was stolen") as negative feelings; that is why UPSET_BELOW sits low.
//
// API
//   scoreSentiment(text) → number in [-1, 1]; 0 for text with no sentiment words (and for most
//                          languages other than English: VADER knows English words only)
//   UPSET_BELOW          the default cut for "upset" (score ≤ it)
import { createRequire } from 'node:module';

interface Vader {
  SentimentIntensityAnalyzer: { polarity_scores(text: string): { compound: number } };
}

const vader = createRequire(import.meta.url)('vader-sentiment') as Vader;

/**
 * Score at or below which a customer counts as upset: about the most negative 5 % of routine
 * Banking77 queries (bench/README.md, "Sentiment").
 */
export const UPSET_BELOW = -0.5;

/** Only the start of a long message is scored: VADER's cost grows with length and its score saturates long before. */
export const SCORED_CHARS = 2000;

/** Sentiment of `text` in [-1, 1]: VADER's compound score. */
export function scoreSentiment(text: string): number {
  const s = vader.SentimentIntensityAnalyzer.polarity_scores(text.length > SCORED_CHARS ? text.slice(0, SCORED_CHARS) : text).compound;
  return Number.isFinite(s) ? Math.max(-1, Math.min(1, s)) : 0;
}
