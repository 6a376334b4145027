// Reply-draft quality of the built-in drafter (src/model/builtin/replies.ts) with a simulated
// agent, and the automatic-send trade-off of its confidence. Prints figures; passes or fails nothing.
//
//   npm run bench -- replies [--train FILE] [--test FILE] [--replies FILE] [--seed N] [--reindex-every N]
//
// No public customer-support data set with human replies is reachable here (see bench/README.md,
// "replies"), so this runs on the best substitute, said plainly: real customer messages with
// their true intent (Banking77, CC BY 4.0) and one reply per intent written for Tandem
// (demo/banking77-replies.json). The simulated agent knows the true intent and would send that
// intent's reply: a draft is accepted (sent unchanged) when it is exactly that reply, else the
// agent changes it into that reply, and the word edit rate between them says whether that was an
// edit (≤ 0.5) or a rewrite. So the figures measure whether drafts reach the right reply — the
// intent routing and the retrieval — not the wording of replies, which nothing here can judge.
//
// The loop is the real one: the library starts with each intent's reply approved for the
// training messages, every sent reply is added back (addApprovedReply) and every judged draft
// counted (recordDraftOutcome), so the confidence learns which replies agents send unchanged.
// The intent classifier is trained once on the training set and not retrained during the run.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readRows } from '../src/cli/tables.ts';
import { classifyDraftAction, type DraftAction } from '../src/core/editDistance.ts';
import { seededRandom } from '../src/core/estimate.ts';
import { predict, train } from '../src/model/builtin/linear.ts';
import {
  addApprovedReply,
  draftReply,
  emptyLibrary,
  fillPlaceholders,
  indexReplies,
  recordDraftOutcome,
  type DraftContext,
  type ReplyIndex,
} from '../src/model/builtin/replies.ts';

export const repliesUsage = `usage: npm run bench -- replies [options]

  --train FILE          labelled customer messages (CSV text,category) that seed the library and
                        train the intent classifier (default ../shared/data/banking77/train.csv)
  --test FILE           held-out messages, drafted for in a seeded random order
                        (default ../shared/data/banking77/test.csv)
  --replies FILE        JSON [{ intent, text }]: the approved reply of each intent
                        (default demo/banking77-replies.json)
  --seed N              order of the held-out messages (default 1)
  --reindex-every N     rebuild the retrieval index after this many messages (default 100)
`;

interface Outcome {
  intent: string;
  intentConfidence: number;
  intentRight: boolean;
  drafted: boolean;
  confidence: number;
  action: DraftAction | 'none';
  rate: number;
  /** Position in the stream, to compare early and late. */
  at: number;
}

function pct(x: number): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : '–';
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return `${line(header)}\n${rows.map(line).join('\n')}\n`;
}

function whole(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`--${name} must be a whole number ≥ 1, not "${raw}"`);
  return n;
}

export async function benchReplies(args: string[]): Promise<number> {
  let opts;
  try {
    const { values } = parseArgs({
      args,
      options: {
        train: { type: 'string' },
        test: { type: 'string' },
        replies: { type: 'string' },
        seed: { type: 'string' },
        'reindex-every': { type: 'string' },
      },
      strict: true,
    });
    opts = {
      train: values.train ?? '../shared/data/banking77/train.csv',
      test: values.test ?? '../shared/data/banking77/test.csv',
      replies: values.replies ?? 'demo/banking77-replies.json',
      seed: whole('seed', values.seed, 1),
      reindexEvery: whole('reindex-every', values['reindex-every'], 100),
    };
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${repliesUsage}`);
    return 2;
  }

  const trainRows = readRows(opts.train).map((r) => ({ text: r.text ?? '', label: r.category ?? '' }));
  const testRows = readRows(opts.test).map((r) => ({ text: r.text ?? '', label: r.category ?? '' }));
  const replies = JSON.parse(readFileSync(opts.replies, 'utf8')) as Array<{ intent: string; text: string }>;
  const replyOf = new Map(replies.map((r) => [r.intent, r.text]));
  const missing = [...new Set([...trainRows, ...testRows].map((r) => r.label))].filter((l) => !replyOf.has(l));
  if (missing.length > 0) {
    process.stderr.write(`${opts.replies} has no reply for ${missing.length} intents: ${missing.slice(0, 5).join(', ')}…\n`);
    return 2;
  }
  const context: DraftContext = { fields: {}, metadata: {} };
  const rightReply = (intent: string): string => fillPlaceholders(replyOf.get(intent)!, context) ?? replyOf.get(intent)!;

  process.stderr.write(`training the intent classifier on ${trainRows.length} messages…\n`);
  const t0 = Date.now();
  const model = train(trainRows);
  process.stderr.write(`trained in ${((Date.now() - t0) / 1000).toFixed(1)} s; seeding the reply library…\n`);
  let library = emptyLibrary();
  for (const r of trainRows) library = addApprovedReply(library, { intent: r.label, message: r.text, text: replyOf.get(r.label)! }).library;
  const seeded = { replies: library.entries.length, messages: library.entries.reduce((n, e) => n + e.messages.length, 0) };

  const order = Array.from(testRows.keys());
  const rand = seededRandom(opts.seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }

  const outcomes: Outcome[] = [];
  let index: ReplyIndex = indexReplies(library);
  const t1 = Date.now();
  let draftMs = 0;
  for (const [at, k] of order.entries()) {
    if (at > 0 && at % opts.reindexEvery === 0) {
      index = indexReplies(library);
      process.stderr.write(`\r${at} / ${order.length} messages`);
    }
    const row = testRows[k]!;
    const p = predict(model, row.text, { explain: false });
    const d0 = performance.now();
    const draft = draftReply(index, row.text, p.label, p.confidence, context);
    draftMs += performance.now() - d0;
    const right = rightReply(row.label);
    const base = { intent: row.label, intentConfidence: p.confidence, intentRight: p.label === row.label, at };
    if (draft === null) {
      outcomes.push({ ...base, drafted: false, confidence: 0, action: 'none', rate: 1 });
    } else {
      const change = classifyDraftAction(draft.text, right);
      outcomes.push({ ...base, drafted: true, confidence: draft.confidence, action: change.action, rate: change.rate });
      library = recordDraftOutcome(library, draft.sourceId, change.action, row.label);
    }
    library = addApprovedReply(library, { intent: row.label, message: row.text, text: right }).library;
  }
  process.stderr.write(`\r${order.length} / ${order.length} messages in ${((Date.now() - t1) / 1000).toFixed(1)} s\n\n`);

  const n = outcomes.length;
  const drafted = outcomes.filter((o) => o.drafted);
  const count = (a: Outcome['action']): number => outcomes.filter((o) => o.action === a).length;
  const meanRate = drafted.reduce((s, o) => s + o.rate, 0) / Math.max(1, drafted.length);
  process.stdout.write(
    `Substitute data: ${testRows.length} held-out Banking77 messages, ${seeded.replies} intent replies seeded with ${seeded.messages} training messages\n` +
      `(at most 50 per reply kept), one reply per intent. Simulated agent: sends the true intent's reply.\n\n` +
      `intent classifier accuracy           ${pct(outcomes.filter((o) => o.intentRight).length / n)}\n` +
      `drafts made                          ${pct(drafted.length / n)}\n` +
      `draft acceptance (sent unchanged)    ${pct(count('sent') / n)}\n` +
      `edited (word edit rate ≤ 0.5)        ${pct(count('edited') / n)}\n` +
      `rewritten (word edit rate > 0.5)     ${pct(count('rewritten') / n)}\n` +
      `accepted or edited (rate ≤ 0.5)      ${pct((count('sent') + count('edited')) / n)}\n` +
      `mean word edit rate of drafts        ${meanRate.toFixed(3)}\n` +
      `draft time (retrieval + fill)        ${((1000 * draftMs) / n).toFixed(0)} µs / message\n\n`,
  );

  // The automatic-send trade-off: drafts at or above a cut go out without an agent.
  const cuts = [0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
  const late = outcomes.filter((o) => o.at >= n / 2);
  const rows = cuts.map((c) => {
    const byDraft = drafted.filter((o) => o.confidence >= c);
    const byIntent = drafted.filter((o) => o.intentConfidence >= c);
    const lateDraft = late.filter((o) => o.drafted && o.confidence >= c);
    const acc = (xs: Outcome[]): number => xs.filter((o) => o.action === 'sent').length / xs.length;
    return [
      c.toFixed(1),
      pct(byDraft.length / n),
      pct(acc(byDraft)),
      ((1000 * byDraft.filter((o) => o.action !== 'sent').length) / n).toFixed(1),
      pct(lateDraft.length / late.length),
      pct(acc(lateDraft)),
      pct(byIntent.length / n),
      pct(acc(byIntent)),
      ((1000 * byIntent.filter((o) => o.action !== 'sent').length) / n).toFixed(1),
    ];
  });
  process.stdout.write(
    'Automatic send at a confidence cut: share of messages sent without an agent, the share of those the agent\n' +
      'would have sent unchanged, and wrong replies sent per 1,000 messages. Draft confidence (intent × similarity gate ×\n' +
      'learned acceptance) over the whole run and over its second half (after the library has learned), against the\n' +
      "intent classifier's confidence alone (which knows nothing of replies).\n\n" +
      table(
        ['cut', 'auto-sent', 'accepted', 'wrong/1000', '2nd half auto', '2nd half accepted', 'intent-only auto', 'accepted', 'wrong/1000'],
        rows,
      ),
  );

  // Ranking alone, whatever the cut: of the most confident X % of messages, how many drafts were right.
  const ranked = (score: (o: Outcome) => number): Outcome[] => outcomes.slice().sort((a, b) => score(b) - score(a));
  const byDraftRank = ranked((o) => o.confidence);
  const byIntentRank = ranked((o) => o.intentConfidence);
  const acceptedOfTop = (xs: Outcome[], share: number): number => {
    const top = xs.slice(0, Math.round(share * xs.length));
    return top.filter((o) => o.action === 'sent').length / top.length;
  };
  process.stdout.write(
    `\nThe same ranking at equal coverage: of the X % most confident messages, the share the agent would send unchanged.\n\n` +
      table(
        ['ranked by', ...[0.5, 0.7, 0.8, 0.9, 0.95].map((c) => `top ${pct(c)}`)],
        [
          ['draft confidence', ...[0.5, 0.7, 0.8, 0.9, 0.95].map((c) => pct(acceptedOfTop(byDraftRank, c)))],
          ['intent confidence alone', ...[0.5, 0.7, 0.8, 0.9, 0.95].map((c) => pct(acceptedOfTop(byIntentRank, c)))],
        ],
      ),
  );

  const byIntent = new Map<string, Outcome[]>();
  for (const o of outcomes) byIntent.set(o.intent, [...(byIntent.get(o.intent) ?? []), o]);
  const worst = [...byIntent.entries()]
    .map(([intent, os]) => ({ intent, n: os.length, rewrite: os.filter((o) => o.action === 'rewritten').length / os.length, edit: os.filter((o) => o.action === 'edited').length / os.length }))
    .sort((a, b) => b.rewrite + b.edit - (a.rewrite + a.edit))
    .slice(0, 5);
  process.stdout.write(
    `\nIntents whose drafts agents change most:\n\n` +
      table(
        ['intent', 'messages', 'edited', 'rewritten'],
        worst.map((w) => [w.intent, String(w.n), pct(w.edit), pct(w.rewrite)]),
      ),
  );
  return 0;
}
