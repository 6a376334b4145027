// Target-accuracy routing end to end: the plan follows the model, routes follow the plan, the
// API says why when the target is out of reach, and a consensus is asked for where one person
// is not enough.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { importLabels } from '../src/engine/importLabels.ts';
import { retrainDue } from '../src/engine/retrain.ts';
import { appOnFreshDb, drivers, labelWorkflow, topicWords } from './harness.ts';

// Six words a topic, as the word indexing below was written for.
const topics = Object.fromEntries(Object.entries(topicWords).map(([label, words]) => [label, words.slice(0, 6)]));

function history(n: number): Array<{ text: string; label: string }> {
  const labels = Object.keys(topics);
  return Array.from({ length: n }, (_, i) => {
    const label = labels[i % 4]!;
    const words = topics[label]!;
    return { text: `please ${words[i % 6]} my ${words[(i * 7 + 3) % 6]} account ${i}`, label };
  });
}

for (const driver of drivers) {
  describe(`target accuracy on ${driver}`, () => {
    const ctx = appOnFreshDb(driver);

    const spec = (target: number) => labelWorkflow('tgt', { model: { type: 'builtin', minExamples: 20 }, targetAccuracy: target, reviewerAccuracy: 0.98 });

    test('with no measured model every item goes to people, and the route says why', async () => {
      assert.equal((await ctx.admin.post('/v1/workflows', spec(0.95))).status, 201);
      const q = await ctx.admin.get('/v1/workflows/tgt/quality');
      assert.equal(q.body.targetAccuracy, 0.95);
      assert.equal(q.body.plan.threshold, null);
      assert.equal(q.body.plan.humanShare, 1);
      const r = await ctx.admin.post('/v1/workflows/tgt/items', { text: 'my invoice was charged twice' });
      assert.equal(r.body.route.route, 'review');
      assert.ok(r.body.route.reasons.some((x: { code: string }) => x.code === 'target_accuracy'), JSON.stringify(r.body.route.reasons));
    });

    test('a trained model gets thresholds that meet the target with fewer people', async () => {
      const wf = await ctx.app.engine.workflows.get(ctx.t.db, 'tgt');
      await importLabels(ctx.t.db, wf, history(600), { text: 'text', label: 'label' });
      const r = await retrainDue(ctx.app.engine);
      assert.ok(r[0]?.trained);
      ctx.app.engine.tunings.invalidate('tgt');
      const q = (await ctx.admin.get('/v1/workflows/tgt/quality')).body;
      assert.equal(q.plan.feasible, true, JSON.stringify(q.plan));
      assert.ok(q.plan.threshold !== null && q.plan.threshold < 1);
      assert.ok(q.plan.humanShare < 0.5, `human share ${q.plan.humanShare}`);
      assert.ok(q.plan.estimatedAccuracy.lower >= 0.95, JSON.stringify(q.plan.estimatedAccuracy));
      assert.match(q.tunedBecause, /model v1 trained/);
      const item = await ctx.admin.post('/v1/workflows/tgt/items', { text: 'please refund my invoice account 3' });
      assert.equal(item.body.route.route, 'auto', JSON.stringify(item.body.route));
      assert.ok(item.body.route.reasons[0].threshold <= item.body.route.reasons[0].confidence);
    });

    test('a target one person cannot reach asks for a consensus, and says so', async () => {
      assert.equal((await ctx.admin.put('/v1/workflows/tgt', spec(0.995))).status, 200);
      ctx.app.engine.tunings.invalidate('tgt');
      const q = (await ctx.admin.get('/v1/workflows/tgt/quality')).body;
      assert.equal(q.plan.target, 0.995);
      assert.equal(q.plan.feasible, false);
      assert.match(q.plan.reason, /majority/);
      assert.ok(q.plan.consensus && q.plan.consensus.reviewers >= 3, JSON.stringify(q.plan.consensus));
      const r = await ctx.admin.post('/v1/workflows/tgt/items', { text: 'hello, a question about something new entirely' });
      assert.notEqual(r.body.route.route, 'auto');
      const h = await ctx.admin.get(`/v1/items/${r.body.id}`);
      const votes = h.body.tasks.filter((x: { kind: string }) => x.kind === 'vote').length;
      assert.equal(votes, q.plan.consensus.reviewers, 'one vote task per person the plan asks for');
    });
  });
}
