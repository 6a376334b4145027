// Which sentiment scorer flags an upset customer: npm lexicon scorers and the built-in classifier,
// measured on real labelled sentences, and how often each would wrongly flag routine customer
// messages. Prints figures; passes or fails nothing.
//
//   npm run bench -- sentiment [--banking FILE] [--upset-below X]
//
// Labelled data: the UCI "Sentiment Labelled Sentences" (Kotzias, Denil, de Freitas and Smyth,
// KDD 2015; 1,000 sentences each from Amazon, IMDB and Yelp reviews, half positive, half
// negative; CC BY 4.0), as shipped in the `sentiment` npm package's test fixtures — read from
// node_modules, not copied here. Routine customer messages: the Banking77 test set
// (../shared/data/banking77/test.csv; CC BY 4.0), which has no sentiment labels: the share of its
// queries a scorer calls upset bounds from above how often routine queries would be escalated.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readRows } from '../src/cli/tables.ts';
import { predict, train, type Example } from '../src/model/builtin/linear.ts';
import { UPSET_BELOW, scoreSentiment } from '../src/model/sentiment.ts';

const require = createRequire(import.meta.url);

interface Labelled {
  text: string;
  /** 1 positive, 0 negative. */
  class: 0 | 1;
}

type Scorer = (text: string) => number;

function loadUci(): Record<string, Labelled[]> {
  const dir = 'sentiment/test/fixtures/';
  const sets: Record<string, Labelled[]> = {};
  for (const name of ['amazon', 'imdb', 'yelp']) sets[name] = require(`${dir}${name}.json`) as Labelled[];
  return sets;
}

/** The npm candidates, each mapped onto [-1, 1] (monotone, so rankings and AUC are the package's own). */
function npmScorers(): Record<string, Scorer> {
  const Sentiment = require('sentiment') as new () => { analyze(t: string): { comparative: number; score: number } };
  const afinn = new Sentiment();
  const wink = require('wink-sentiment') as (t: string) => { normalizedScore: number };
  const vader = require('vader-sentiment') as { SentimentIntensityAnalyzer: { polarity_scores(t: string): { compound: number } } };
  return {
    'sentiment (AFINN-165)': (t) => Math.tanh(afinn.analyze(t).comparative),
    'wink-sentiment': (t) => Math.tanh(wink(t).normalizedScore / 5),
    'vader-sentiment': (t) => vader.SentimentIntensityAnalyzer.polarity_scores(t).compound,
    'src/model/sentiment.ts (chosen)': scoreSentiment,
  };
}

/** Area under the ROC curve for telling negatives (class 0) by a low score; ties count half. */
function aucNegative(scores: number[], labels: Array<0 | 1>): number {
  const neg = scores.filter((_, i) => labels[i] === 0);
  const pos = scores.filter((_, i) => labels[i] === 1);
  const all = [...neg.map((s) => ({ s, neg: true })), ...pos.map((s) => ({ s, neg: false }))].sort((a, b) => a.s - b.s);
  // Mann–Whitney U over ranks with ties averaged.
  let rankSumNeg = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]!.s === all[i]!.s) j++;
    const avg = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k]!.neg) rankSumNeg += avg;
    i = j;
  }
  // Low scores should be negatives: count pairs where the negative ranks below the positive.
  const uNeg = rankSumNeg - (neg.length * (neg.length + 1)) / 2;
  return 1 - uNeg / (neg.length * pos.length);
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}

export const sentimentUsage = `usage: npm run bench -- sentiment [--banking FILE] [--upset-below X]

  --banking FILE     routine customer messages, CSV with a text column
                     (default ../shared/data/banking77/test.csv)
  --upset-below X    the upset cut to report recall, precision and Banking77 share at (default ${UPSET_BELOW})
`;

/** Prints the comparison; returns the exit code. */
export async function benchSentiment(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { banking: { type: 'string' }, 'upset-below': { type: 'string' } }, strict: true }));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${sentimentUsage}`);
    return 2;
  }
  const upsetBelow = Number(values['upset-below'] ?? UPSET_BELOW);
  if (!(upsetBelow >= -1 && upsetBelow <= 1)) {
    process.stderr.write(`--upset-below must be a number in [-1, 1]\n`);
    return 2;
  }
  // The second cut of each scorer flags at most this share of routine queries: equal false
  // escalations, so the recall on negative sentences compares like with like.
  const budget = 0.05;
  const bankingFile = values.banking ?? '../shared/data/banking77/test.csv';
  const sets = loadUci();
  const scorers = npmScorers();

  // The built-in classifier as a sentiment model: trained on two review sites, tested on the third,
  // scored P(positive) − P(negative).
  const builtinScores: Record<string, number[]> = {};
  for (const held of Object.keys(sets)) {
    const examples: Example[] = Object.entries(sets)
      .filter(([name]) => name !== held)
      .flatMap(([, rows]) => rows.map((r) => ({ text: r.text, label: r.class === 1 ? 'pos' : 'neg' })));
    const model = train(examples);
    builtinScores[held] = sets[held]!.map((r) => {
      const p = predict(model, r.text, { explain: false });
      return (p.labels.pos ?? 0) - (p.labels.neg ?? 0);
    });
  }

  const banking = existsSync(bankingFile) ? readRows(bankingFile).map((r) => r.text ?? '') : [];
  // For the built-in model on Banking77: trained on all three review sets.
  const allModel = train(Object.values(sets).flatMap((rows) => rows.map((r) => ({ text: r.text, label: r.class === 1 ? 'pos' : 'neg' }))));

  process.stdout.write(
    `UCI Sentiment Labelled Sentences (1,000 each, half negative); upset = score ≤ ${upsetBelow}\n` +
      `AUC: telling negative sentences by a low score (0.5 = chance). Recall/precision: of negative sentences, at the upset cut.\n` +
      `Banking77 upset: share of ${banking.length} routine banking queries the cut calls upset (lower is better).\n\n`,
  );
  const header = [
    'scorer',
    ...Object.keys(sets).map((s) => `AUC ${s}`),
    'AUC mean',
    'recall',
    'precision',
    'Banking77 upset',
    `cut ≤${pct(budget)} (share)`,
    'recall',
    'precision',
    'µs / text',
  ];
  const rows: string[][] = [];
  const candidates: Array<[string, Scorer | null]> = [...Object.entries(scorers), ['built-in classifier (trained on the other two sets)', null]];
  for (const [name, scorer] of candidates) {
    const aucs: number[] = [];
    let tp = 0;
    let fp = 0;
    let negatives = 0;
    let micros = 0;
    let scored = 0;
    const uciScores: Array<{ s: number; c: 0 | 1 }> = [];
    for (const [set, data] of Object.entries(sets)) {
      let scores: number[];
      if (scorer) {
        const t0 = process.hrtime.bigint();
        scores = data.map((r) => scorer(r.text));
        micros += Number(process.hrtime.bigint() - t0) / 1000;
        scored += data.length;
      } else {
        scores = builtinScores[set]!;
      }
      aucs.push(aucNegative(scores, data.map((r) => r.class)));
      data.forEach((r, i) => {
        uciScores.push({ s: scores[i]!, c: r.class });
        const upset = scores[i]! <= upsetBelow;
        if (r.class === 0) negatives++;
        if (upset && r.class === 0) tp++;
        if (upset && r.class === 1) fp++;
      });
    }
    const bankScores = banking.map((t) => {
      if (scorer) return scorer(t);
      const p = predict(allModel, t, { explain: false });
      return (p.labels.pos ?? 0) - (p.labels.neg ?? 0);
    });
    const bankUpset = bankScores.filter((s) => s <= upsetBelow).length / Math.max(1, banking.length);
    // The highest cut that flags at most `budget` of Banking77 (score ≤ cut).
    const sorted = bankScores.slice().sort((a, b) => a - b);
    let cut = -Infinity;
    for (const v of sorted) {
      if (sorted.filter((x) => x <= v).length / sorted.length > budget) break;
      cut = v;
    }
    const flagged = uciScores.filter((u) => u.s <= cut);
    const tpB = flagged.filter((u) => u.c === 0).length;
    rows.push([
      name,
      ...aucs.map((a) => a.toFixed(3)),
      (aucs.reduce((a, b) => a + b, 0) / aucs.length).toFixed(3),
      pct(tp / negatives),
      tp + fp === 0 ? '–' : pct(tp / (tp + fp)),
      banking.length ? pct(bankUpset) : '–',
      `${cut.toFixed(3)} (${pct(bankScores.filter((x) => x <= cut).length / Math.max(1, banking.length))})`,
      pct(tpB / negatives),
      flagged.length ? pct(tpB / flagged.length) : '–',
      scored ? (micros / scored).toFixed(1) : '–',
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  process.stdout.write(`${line(header)}\n${rows.map(line).join('\n')}\n`);
  return 0;
}
