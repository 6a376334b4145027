// How many routine customer messages the conversation signals would take from the bot: each
// signal's share of Banking77 (train and test, 13,083 online-banking queries; CC BY 4.0), which
// are one-off questions (no repeated contact, no segments), so only the text signals apply.
// Prints figures and every message flagged as asking for a person; passes or fails nothing.
//
//   npm run bench -- signals [--file FILE]...
import { parseArgs } from 'node:util';
import { readRows } from '../src/cli/tables.ts';
import { conversationSignals } from '../src/core/conversationSignals.ts';
import { scoreSentiment } from '../src/model/sentiment.ts';

export const signalsUsage = `usage: npm run bench -- signals [--file FILE]...

  --file FILE   customer messages, CSV with a text column; repeatable
                (default ../shared/data/banking77/train.csv and test.csv)
`;

function pct(x: number): string {
  return `${(100 * x).toFixed(2)} %`;
}

export async function benchSignals(args: string[]): Promise<number> {
  let files: string[];
  try {
    const { values } = parseArgs({ args, options: { file: { type: 'string', multiple: true } }, strict: true });
    files = values.file ?? ['../shared/data/banking77/train.csv', '../shared/data/banking77/test.csv'];
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${signalsUsage}`);
    return 2;
  }
  const texts = files.flatMap((f) => readRows(f).map((r) => r.text ?? ''));
  const counts = new Map<string, number>();
  const phrases = new Map<string, number>();
  const routes = { review: 0, escalate: 0 };
  const asks: string[] = [];
  for (const [i, text] of texts.entries()) {
    const s = conversationSignals({
      text,
      customerId: `c${i}`,
      conversationId: `conv${i}`,
      intent: null,
      at: 0,
      metadata: {},
      sentiment: scoreSentiment(text),
      history: [],
    });
    for (const r of s.reasons) {
      counts.set(r.code, (counts.get(r.code) ?? 0) + 1);
      if (r.code === 'risk_words') for (const w of r.words) phrases.set(w, (phrases.get(w) ?? 0) + 1);
      if (r.code === 'human_requested') asks.push(`  "${r.phrase}" in: ${text}`);
    }
    if (s.route) routes[s.route]++;
  }
  const n = texts.length;
  process.stdout.write(
    `${n} messages (${files.join(', ')})\n\n` +
      ['upset', 'risk_words', 'human_requested']
        .map((code) => `${code.padEnd(16)} ${String(counts.get(code) ?? 0).padStart(5)}  ${pct((counts.get(code) ?? 0) / n)}`)
        .join('\n') +
      `\n\nroute escalate   ${String(routes.escalate).padStart(5)}  ${pct(routes.escalate / n)}\n` +
      `route review     ${String(routes.review).padStart(5)}  ${pct(routes.review / n)}\n` +
      `taken from bot   ${String(routes.escalate + routes.review).padStart(5)}  ${pct((routes.escalate + routes.review) / n)}\n\n` +
      `risk phrases: ${[...phrases.entries()].sort((a, b) => b[1] - a[1]).map(([w, c]) => `${w} ${c}`).join(', ')}\n\n` +
      `asking for a person:\n${asks.join('\n')}\n`,
  );
  return 0;
}
