// A demo-like workflow with a quality history: a scoring model, three reviewers of different
// accuracy voting on every item (so there is overlap to measure), audits of confident machine
// decisions, training on gold, two segments and channels, and answers given first with the
// machine's suggestion shown, then blind. Deterministic.
import type { Db } from '../src/store/db.ts';
import { adminKey, client, person, topicWords } from './harness.ts';
import { startScorer, type Scorer } from './scorer.ts';

export const demoName = 'q-demo';
const labels = Object.keys(topicWords);

export interface QualityFixture {
  scorer: Scorer;
  lead: { token: string; id: string; email: string };
  reviewers: Array<{ token: string; id: string; email: string }>;
  close(): Promise<void>;
}

export async function seedQualityDemo(url: string, db: Db): Promise<QualityFixture> {
  // The machine leans on the first topic word it sees; 'sure' makes it confident (decided, then audited).
  const scorer = await startScorer({ kind: 'labels', labels: { other: 0.55, billing: 0.15, bug: 0.15, fraud: 0.15 } });
  for (const l of labels) {
    const [w] = topicWords[l]!;
    scorer.behave.set(`sure ${w}`, { kind: 'labels', labels: Object.fromEntries(labels.map((x) => [x, x === l ? 0.97 : 0.01])) });
    scorer.behave.set(w!, { kind: 'labels', labels: Object.fromEntries(labels.map((x) => [x, x === l ? 0.7 : 0.1])) });
  }
  const admin = client(url, adminKey);
  const spec = (blindMode: boolean) => ({
    name: demoName,
    answerType: 'label',
    labels,
    model: { type: 'http', url: scorer.url, timeoutMs: 2000 },
    policy: { threshold: 0.9, auditRate: 1 },
    consensus: { answers: 3 },
    quality: { trainingItems: 2 },
    auditableAttributes: ['segment', 'channel'],
    blindMode,
  });
  await admin.post('/v1/workflows', spec(false));
  const lead = await person(db, 'lead', [demoName]);
  await client(url, lead.token).post(`/v1/workflows/${demoName}/gold/import`, {
    items: [
      { text: 'I was charged twice for one <b>invoice</b> & more', label: 'billing', note: 'Money: billing.' },
      { text: 'the app crashes on start', label: 'bug', note: 'Misbehaviour: bug.' },
      { text: '<script>alert("stolen")</script> my card was stolen', label: 'fraud', note: 'Unauthorised use: fraud.' },
    ],
  });
  const reviewers = [await person(db, 'reviewer', [demoName]), await person(db, 'reviewer', [demoName]), await person(db, 'reviewer', [demoName])];
  const truthOf = new Map<string, string>();
  const goldTruth: Record<string, string> = { 'charged twice': 'billing', 'crashes on start': 'bug', 'my card was stolen': 'fraud' };

  // Reviewer 0 is always right; 1 slips on every fifth item; 2 calls half of the vip fraud "other" and slips often.
  const answerOf = (who: number, itemText: string, i: number): string => {
    const truth = truthOf.get(itemText) ?? Object.entries(goldTruth).find(([k]) => itemText.includes(k))?.[1] ?? 'other';
    if (who === 1 && i % 5 === 0) return truth === 'other' ? 'billing' : 'other';
    if (who === 2 && (itemText.includes('vip') ? i % 2 === 0 : i % 4 === 0)) return truth === 'other' ? 'bug' : 'other';
    return truth;
  };

  let step = 0;
  const drain = async () => {
    for (const [who, r] of reviewers.entries()) {
      const c = client(url, r.token);
      for (;;) {
        const claimed = await c.post('/v1/tasks/claim', { workflow: demoName });
        if (claimed.status === 204) break;
        if (claimed.status !== 200) throw new Error(`claim failed: ${JSON.stringify(claimed.body)}`);
        const text: string = claimed.body.item.text;
        const a = await c.post(`/v1/tasks/${claimed.body.task.id}/answer`, { assignment: claimed.body.task.assignment, label: answerOf(who, text, step++), timeSpentMs: 1000 + (step % 7) * 900 });
        if (a.status !== 200) throw new Error(`answer failed: ${JSON.stringify(a.body)}`);
      }
    }
  };
  const submit = async (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const truth = labels[i % labels.length]!;
      const words = topicWords[truth]!;
      const segment = i % 3 === 0 ? 'vip' : 'standard';
      const text = `${i % 6 === 5 ? 'sure ' : ''}${words[0]} ${words[1 + (i % (words.length - 1))]} case ${i} ${segment}`;
      truthOf.set(text, truth);
      const r = await admin.post(`/v1/workflows/${demoName}/items`, { text, metadata: { segment, channel: ['chat', 'email'][i % 2] } });
      if (r.status !== 201) throw new Error(`submit failed: ${JSON.stringify(r.body)}`);
    }
  };
  await submit(0, 30);
  await drain();
  await admin.put(`/v1/workflows/${demoName}`, spec(true));
  await submit(30, 60);
  await drain();
  return { scorer, lead, reviewers, close: () => scorer.close() };
}
