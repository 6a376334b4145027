// Gold, training, qualification and demotion end to end over HTTP, on both drivers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEstimator } from '../src/engine/reviewerEstimates.ts';
import { expireLeases } from '../src/store/tasks.ts';
import { appOnFreshDb, client, drivers, eventually, labelWorkflow, person } from './harness.ts';

const goldItems = [
  { text: 'I was charged twice for my invoice', label: 'billing', note: 'Money taken or owed: billing.' },
  { text: 'the app crashes when I open settings', label: 'bug', note: 'The product misbehaves: bug.' },
  { text: 'someone used my card without asking', label: 'fraud', note: 'Anything unauthorised: fraud.' },
  { text: 'what are your opening hours', label: 'other', note: 'Questions about us: other.' },
];

for (const driver of drivers) {
  describe(`quality on ${driver}`, () => {
    const ctx = appOnFreshDb(driver);

    const count = async (sql: string, params: unknown[] = []) => ((await ctx.t.db.query<{ n: number }>(sql, params))[0]?.n ?? -1);
    const eventsOf = async (type: string, workflow: string) =>
      ctx.t.db.query<{ payload: Record<string, unknown> }>(`SELECT payload FROM events WHERE type = $1::text AND workflow = $2::text ORDER BY id`, [type, workflow]);

    /** Claims, checks the task looks like review work, and answers with `pick(goldLabel)`. */
    async function work(token: string, workflow: string, pick: (right: string | undefined) => string) {
      const c = client(ctx.app.url, token);
      const claimed = await c.post('/v1/tasks/claim', { workflow });
      assert.equal(claimed.status, 200, JSON.stringify(claimed.body));
      assert.equal(claimed.body.task.kind, 'review');
      const right = goldItems.find((g) => g.text === claimed.body.item.text)?.label;
      const answered = await c.post(`/v1/tasks/${claimed.body.task.id}/answer`, { assignment: claimed.body.task.assignment, label: pick(right) });
      assert.equal(answered.status, 200, JSON.stringify(answered.body));
      return { claimed: claimed.body, answered: answered.body, right };
    }

    test('bad quality settings and bad gold answers are clear 4xx errors', async () => {
      const badMark = await ctx.admin.post('/v1/workflows', labelWorkflow('q-bad', { quality: { qualification: { items: 3, passMark: 1.5 } } }));
      assert.equal(badMark.status, 400);
      assert.equal(badMark.body.errors[0].path, 'quality.qualification.passMark');
      const floorAlone = await ctx.admin.post('/v1/workflows', labelWorkflow('q-bad', { quality: { accuracyFloor: 0.8 } }));
      assert.equal(floorAlone.status, 400);
      assert.equal(floorAlone.body.errors[0].path, 'quality.accuracyFloor');
      const text = await ctx.admin.post('/v1/workflows', { name: 'q-bad', answerType: 'text', quality: { goldRate: 0.1 } });
      assert.equal(text.status, 400);
      assert.equal(text.body.errors[0].path, 'quality');

      assert.equal((await ctx.admin.post('/v1/workflows', labelWorkflow('q-gold'))).status, 201);
      const outside = await ctx.admin.post('/v1/workflows/q-gold/gold/import', { items: [goldItems[0], { text: 'x', label: 'refunds' }] });
      assert.equal(outside.status, 400);
      assert.equal(outside.body.errors[0].path, 'items.1.label');
      assert.match(outside.body.errors[0].message, /billing, bug, fraud, other/);
      assert.equal(await count(`SELECT count(*)::int AS n FROM gold_items WHERE workflow = 'q-gold'`), 0, 'all or nothing');
      const item = await ctx.admin.post('/v1/workflows/q-gold/items', { text: 'a live message' });
      const unknownLabel = await ctx.admin.post('/v1/workflows/q-gold/gold', { itemId: item.body.id, label: 'refunds' });
      assert.equal(unknownLabel.status, 400);
      assert.equal(unknownLabel.body.errors[0].path, 'label');
      const marked = await ctx.admin.post('/v1/workflows/q-gold/gold', { itemId: item.body.id, label: 'other', note: 'greetings' });
      assert.equal(marked.status, 201);
      assert.equal(marked.body.source, 'marked');
      const reviewer = await person(ctx.t.db, 'reviewer', ['q-gold']);
      assert.equal((await client(ctx.app.url, reviewer.token).post('/v1/workflows/q-gold/gold', { itemId: item.body.id, label: 'bug' })).status, 403);
      assert.equal((await client(ctx.app.url, reviewer.token).get('/v1/workflows/q-gold/gold')).status, 403);
      assert.equal((await ctx.admin.get('/v1/workflows/q-gold/gold')).body.items.length, 1);
      assert.equal((await ctx.admin.del(`/v1/workflows/q-gold/gold/${item.body.id}`)).status, 204);
      assert.equal((await ctx.admin.get('/v1/workflows/q-gold/gold')).body.items.length, 0);
      assert.equal((await ctx.admin.del(`/v1/workflows/q-gold/gold/${item.body.id}`)).status, 404);
    });

    test('training with feedback, then a qualification test, then live work; gold makes no decision or example', async () => {
      await ctx.admin.post('/v1/workflows', labelWorkflow('q-train', { quality: { trainingItems: 2, qualification: { items: 2, passMark: 0.5 } } }));
      const lead = await person(ctx.t.db, 'lead', ['q-train']);
      const rev = await person(ctx.t.db, 'reviewer', ['q-train']);
      const live = await ctx.admin.post('/v1/workflows/q-train/items', { text: 'my invoice is wrong', metadata: { segment: 'smb' } });

      const noGold = await client(ctx.app.url, rev.token).post('/v1/tasks/claim', { workflow: 'q-train' });
      assert.equal(noGold.status, 409);
      assert.match(noGold.body.detail, /in training on "q-train", but it has no gold items yet/);
      assert.equal((await client(ctx.app.url, rev.token).post('/v1/tasks/claim', {})).status, 204, 'an unnamed claim skips the workflow');

      const imported = await client(ctx.app.url, lead.token).post('/v1/workflows/q-train/gold/import', { items: goldItems });
      assert.equal(imported.status, 201);
      assert.equal(imported.body.imported, 4);

      // Training: the right answer and the note after each answer.
      const first = await work(rev.token, 'q-train', (right) => (right === 'bug' ? 'fraud' : 'bug'));
      assert.match(first.claimed.task.reason, /^training 1 of 2/);
      assert.notEqual(first.claimed.item.id, live.body.id);
      assert.equal(first.answered.decision, null);
      assert.deepEqual(first.answered.feedback, {
        stage: 'training', correct: false, expected: { type: 'label', label: first.right }, note: goldItems.find((g) => g.label === first.right)!.note,
        progress: { answered: 1, of: 2 },
      });
      const second = await work(rev.token, 'q-train', (right) => right!);
      assert.match(second.claimed.task.reason, /^training 2 of 2/);
      assert.equal(second.answered.feedback.correct, true);
      assert.equal(second.answered.feedback.next, 'qualifying');

      // The test: no right answers shown; the result at the end.
      const q1 = await work(rev.token, 'q-train', (right) => right!);
      assert.match(q1.claimed.task.reason, /^qualification test 1 of 2/);
      assert.deepEqual(q1.answered.feedback, { stage: 'qualifying', progress: { answered: 1, of: 2 } });
      const q2 = await work(rev.token, 'q-train', (right) => (right === 'bug' ? 'fraud' : 'bug'));
      assert.deepEqual(q2.answered.feedback.result, { passed: true, score: 0.5, passMark: 0.5 });
      assert.equal(q2.answered.feedback.next, 'qualified');

      // Live work now, and no gold.
      const c = client(ctx.app.url, rev.token);
      const claimed = await c.post('/v1/tasks/claim', { workflow: 'q-train' });
      assert.equal(claimed.body.item.id, live.body.id);
      const answered = await c.post(`/v1/tasks/${claimed.body.task.id}/answer`, { assignment: 1, label: 'billing' });
      assert.equal(answered.body.decision.source, 'human');
      assert.equal(answered.body.feedback, undefined);

      assert.equal(await count(`SELECT count(*)::int AS n FROM gold_scores WHERE workflow = 'q-train'`), 4);
      assert.equal(await count(`SELECT count(*)::int AS n FROM decisions WHERE item_id IN (SELECT item_id FROM gold_items WHERE workflow = 'q-train')`), 0);
      assert.equal(await count(`SELECT count(*)::int AS n FROM examples WHERE workflow = 'q-train'`), 1, 'only the live decision teaches the model');
      assert.deepEqual((await eventsOf('reviewer.trained', 'q-train')).map((e) => e.payload.email), [rev.email]);
      assert.deepEqual((await eventsOf('reviewer.qualified', 'q-train')).map((e) => e.payload.score), [0.5]);
      // Imported gold is not live work: the counts leave it out.
      assert.equal((await ctx.admin.get(`/v1/workflows/q-train/stats?from=2000-01-01T00:00:00Z`)).body.items, 1);
      // A reviewer reading a gold item's history sees review work; a lead sees gold.
      const asReviewer = await c.get(`/v1/items/${first.claimed.item.id}`);
      assert.deepEqual(asReviewer.body.tasks.map((x: { kind: string }) => x.kind), ['review']);
      assert.ok(!asReviewer.body.events.some((e: { type: string }) => e.type === 'gold.scored'));
      const asLead = await client(ctx.app.url, lead.token).get(`/v1/items/${first.claimed.item.id}`);
      assert.deepEqual(asLead.body.tasks.map((x: { kind: string }) => x.kind), ['gold']);
      // Leads are neither trained nor measured: they claim live work at once.
      await ctx.admin.post('/v1/workflows/q-train/items', { text: 'another live message' });
      const leadClaim = await client(ctx.app.url, lead.token).post('/v1/tasks/claim', { workflow: 'q-train' });
      assert.equal(leadClaim.body.item.text, 'another live message');
    });

    test('failing the qualification test sends a reviewer back to training', async () => {
      await ctx.admin.post('/v1/workflows', labelWorkflow('q-fail', { quality: { trainingItems: 1, qualification: { items: 1, passMark: 1 } } }));
      await ctx.admin.post('/v1/workflows/q-fail/gold/import', { items: goldItems });
      const rev = await person(ctx.t.db, 'reviewer', ['q-fail']);
      await work(rev.token, 'q-fail', (right) => right!);
      const failed = await work(rev.token, 'q-fail', (right) => (right === 'bug' ? 'fraud' : 'bug'));
      assert.deepEqual(failed.answered.feedback.result, { passed: false, score: 0, passMark: 1 });
      assert.equal(failed.answered.feedback.next, 'training');
      const again = await work(rev.token, 'q-fail', (right) => right!);
      assert.match(again.claimed.task.reason, /^training 1 of 1/);
      const [event] = await eventsOf('reviewer.failed_qualification', 'q-fail');
      assert.equal(event?.payload.score, 0);
      assert.equal(await count(`SELECT attempt AS n FROM reviewer_stages WHERE reviewer_id = $1::uuid`, [rev.id]), 2);
    });

    test('gold is mixed into live work unannounced; falling below the floor sends a reviewer back to training, and the leads are told', async () => {
      await ctx.admin.post('/v1/workflows', labelWorkflow('q-floor', {
        quality: { goldRate: 1, trainingItems: 1, accuracyFloor: 0.6, minGoldAnswers: 2, accuracyWindow: 5 },
      }));
      await ctx.admin.post('/v1/workflows/q-floor/gold/import', { items: goldItems });
      const rev = await person(ctx.t.db, 'reviewer', ['q-floor']);
      const trained = await work(rev.token, 'q-floor', (right) => right!);
      assert.equal(trained.answered.feedback.next, 'qualified');
      // Gold never shows up in an empty queue.
      assert.equal((await client(ctx.app.url, rev.token).post('/v1/tasks/claim', { workflow: 'q-floor' })).status, 204);

      for (const text of ['live one', 'live two', 'live three']) await ctx.admin.post('/v1/workflows/q-floor/items', { text });
      const g1 = await work(rev.token, 'q-floor', (right) => (right === 'bug' ? 'fraud' : 'bug'));
      assert.ok(g1.right, 'a gold item was served');
      assert.equal(g1.claimed.task.reason, 'needs a person');
      assert.equal(g1.answered.feedback, undefined, 'live gold says nothing');
      assert.notEqual(g1.claimed.item.text, trained.claimed.item.text, 'live gold is new to the reviewer');
      assert.equal((await eventsOf('reviewer.demoted', 'q-floor')).length, 0, 'one slip is not a demotion');
      await work(rev.token, 'q-floor', (right) => (right === 'bug' ? 'fraud' : 'bug'));

      const [demoted] = await eventsOf('reviewer.demoted', 'q-floor');
      assert.ok(demoted, 'a reviewer.demoted event is in the outbox');
      assert.equal(demoted.payload.email, rev.email);
      assert.equal(demoted.payload.accuracy, 0);
      assert.equal(demoted.payload.floor, 0.6);
      assert.equal(demoted.payload.answers, 2);
      const back = await work(rev.token, 'q-floor', (right) => right!);
      assert.match(back.claimed.task.reason, /^training 1 of 1/);
      assert.equal(back.answered.feedback.stage, 'training');
      assert.equal(await count(`SELECT count(*)::int AS n FROM decisions d JOIN items i ON i.id = d.item_id WHERE i.workflow = 'q-floor'`), 0);
    });

    test('consensus weighted by gold accuracy: one accurate reviewer outweighs two who failed every gold item', async () => {
      await ctx.admin.post('/v1/workflows', labelWorkflow('q-weigh', { consensus: { answers: 3, weighting: 'gold' }, quality: { trainingItems: 4 } }));
      await ctx.admin.post('/v1/workflows/q-weigh/gold/import', { items: goldItems });
      const good = await person(ctx.t.db, 'reviewer', ['q-weigh']);
      const poor = [await person(ctx.t.db, 'reviewer', ['q-weigh']), await person(ctx.t.db, 'reviewer', ['q-weigh'])];
      for (let i = 0; i < 4; i++) {
        await work(good.token, 'q-weigh', (right) => right!);
        for (const p of poor) await work(p.token, 'q-weigh', (right) => (right === 'bug' ? 'fraud' : 'bug'));
      }
      const item = await ctx.admin.post('/v1/workflows/q-weigh/items', { text: 'my card was used in another country' });
      const vote = async (token: string, label: string) => {
        const c = client(ctx.app.url, token);
        const claimed = await c.post('/v1/tasks/claim', { workflow: 'q-weigh' });
        assert.equal(claimed.body.item.id, item.body.id);
        return (await c.post(`/v1/tasks/${claimed.body.task.id}/answer`, { assignment: claimed.body.task.assignment, label })).body;
      };
      await vote(poor[0]!.token, 'bug');
      await vote(good.token, 'fraud');
      const last = await vote(poor[1]!.token, 'bug');
      assert.deepEqual(last.decision.outcome, { type: 'label', label: 'fraud' });
      assert.match(last.decision.reason, /1 of 3 reviewers agreed \(majority, weighted by gold accuracy\)/);
    });

    test('consensus weighted by Dawid–Skene estimates: after a fit, a reviewer who always answers the same label is outvoted', async () => {
      await ctx.admin.post('/v1/workflows', labelWorkflow('q-est', { consensus: { answers: 3, weighting: 'estimated' } }));
      const sharp = await person(ctx.t.db, 'reviewer', ['q-est']);
      const fair = await person(ctx.t.db, 'reviewer', ['q-est']);
      const lazy = await person(ctx.t.db, 'reviewer', ['q-est']);
      const steady = await person(ctx.t.db, 'reviewer', ['q-est']);
      const labels = ['billing', 'bug', 'fraud', 'other'];
      const truth = new Map<string, string>();
      const submit = async (text: string, label: string) => {
        const created = await ctx.admin.post('/v1/workflows/q-est/items', { text });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        truth.set(text, label);
        return created.body.id as string;
      };
      // sharp and steady are always right; fair slips to "billing" on one item in six; lazy always answers "billing".
      const answers: Record<string, (right: string, text: string) => string> = {
        [sharp.id]: (right) => right,
        [steady.id]: (right) => right,
        [fair.id]: (right, text) => (Number(text.split('#')[1]) % 6 === 5 ? (right === 'billing' ? 'bug' : 'billing') : right),
        [lazy.id]: () => 'billing',
      };
      const voteAll = async (who: { token: string; id: string }) => {
        const c = client(ctx.app.url, who.token);
        let last: any = null;
        for (;;) {
          const claimed = await c.post('/v1/tasks/claim', { workflow: 'q-est' });
          if (claimed.status === 204) return last;
          assert.equal(claimed.status, 200, JSON.stringify(claimed.body));
          assert.equal(claimed.body.task.kind, 'vote');
          const text = claimed.body.item.text as string;
          const answered = await c.post(`/v1/tasks/${claimed.body.task.id}/answer`, { assignment: claimed.body.task.assignment, label: answers[who.id]!(truth.get(text)!, text) });
          assert.equal(answered.status, 200, JSON.stringify(answered.body));
          last = answered.body;
        }
      };
      for (let i = 0; i < 24; i++) await submit(`overlapping item #${i}`, labels[i % 4]!);
      for (const who of [lazy, fair, sharp]) await voteAll(who);
      // With lazy telling nothing, sharp and fair alone could not say which of them slips; a third
      // reviewer on some items lets the answers alone show it is fair.
      for (let i = 24; i < 36; i++) await submit(`overlapping item #${i}`, labels[i % 4]!);
      for (const who of [steady, fair, sharp]) await voteAll(who);
      const decided = async (id: string) => (await ctx.t.db.query<{ outcome: { label: string }; reason: string }>(`SELECT outcome, reason FROM decisions WHERE item_id = $1::uuid ORDER BY version DESC LIMIT 1`, [id]))[0];

      // Before any fit the votes count equally: lazy and fair's slip outvote sharp.
      const before = await submit('probe before the fit #5', 'fraud');
      for (const who of [lazy, fair, sharp]) await voteAll(who);
      assert.equal((await decided(before))?.outcome.label, 'billing');
      assert.match((await decided(before))!.reason, /^2 of 3 reviewers agreed \(majority\)$/);

      const nobody = await client(ctx.app.url, sharp.token).post('/v1/workflows/q-est/quality/reviewers/estimate');
      assert.equal(nobody.status, 403);
      const fit = await ctx.admin.post('/v1/workflows/q-est/quality/reviewers/estimate');
      assert.equal(fit.status, 200, JSON.stringify(fit.body));
      assert.equal(fit.body.fitted, true);
      assert.equal(fit.body.items, 37);
      assert.equal(fit.body.reviewers, 4);
      const stats = await ctx.admin.get('/v1/workflows/q-est/quality/reviewers');
      assert.equal(stats.body.storedEstimates.items, 37);
      const stored = await ctx.t.db.query<{ reviewer_id: string; accuracy: number }>(`SELECT reviewer_id::text AS reviewer_id, accuracy FROM reviewer_estimates WHERE workflow = 'q-est' ORDER BY accuracy`);
      assert.deepEqual(stored.slice(0, 2).map((r) => r.reviewer_id), [lazy.id, fair.id]);
      assert.ok(stored[0]!.accuracy < 0.4 && stored[1]!.accuracy > 0.75 && stored[1]!.accuracy < 0.9, JSON.stringify(stored));

      // The same votes after the fit: lazy's "billing" tells nothing, sharp's "fraud" outweighs fair's slip.
      const after = await submit('probe after the fit #5', 'fraud');
      for (const who of [lazy, fair]) await voteAll(who);
      const last = await voteAll(sharp);
      assert.deepEqual(last.decision.outcome, { type: 'label', label: 'fraud' });
      assert.match(last.decision.reason, /^1 of 3 reviewers agreed \(majority, weighted by reviewer estimates of /);
      assert.equal((await decided(after))?.outcome.label, 'fraud');

      // A reviewer the fit has not seen counts as the average reviewer, not as nothing.
      const fresh = await person(ctx.t.db, 'reviewer', ['q-est']);
      answers[fresh.id] = (right) => right;
      const third = await submit('probe with a newcomer #5', 'fraud');
      for (const who of [lazy, fair]) await voteAll(who);
      await voteAll(fresh);
      assert.equal((await decided(third))?.outcome.label, 'fraud');

      // The background job refits the workflows weighted by estimates, and only those.
      const firstFit = (await ctx.t.db.query<{ fitted_at: Date }>(`SELECT fitted_at FROM reviewer_estimate_fits WHERE workflow = 'q-est'`))[0]!.fitted_at;
      const estimator = startEstimator(ctx.app.engine, 100, () => {});
      try {
        await eventually(async () => {
          const row = (await ctx.t.db.query<{ fitted_at: Date; items: number }>(`SELECT fitted_at, items FROM reviewer_estimate_fits WHERE workflow = 'q-est'`))[0];
          return row && row.fitted_at > firstFit && row.items === 39 ? true : undefined;
        }, 10_000, 'a background refit');
      } finally {
        await estimator.stop();
      }
      assert.equal(await count(`SELECT count(*)::int AS n FROM reviewer_estimate_fits WHERE workflow <> 'q-est'`), 0);
    });

    test('a released or expired gold task ends instead of going back to the queue', async () => {
      await ctx.admin.post('/v1/workflows', labelWorkflow('q-release', { quality: { trainingItems: 2 } }));
      await ctx.admin.post('/v1/workflows/q-release/gold/import', { items: goldItems });
      const rev = await person(ctx.t.db, 'reviewer', ['q-release']);
      const other = await person(ctx.t.db, 'lead', ['q-release']);
      const c = client(ctx.app.url, rev.token);
      const claimed = await c.post('/v1/tasks/claim', { workflow: 'q-release' });
      const released = await c.post(`/v1/tasks/${claimed.body.task.id}/release`, { assignment: 1 });
      assert.equal(released.status, 200);
      assert.equal(released.body.kind, 'review');
      assert.equal(await count(`SELECT count(*)::int AS n FROM tasks WHERE id = $1::uuid AND status = 'cancelled'`, [claimed.body.task.id]), 1);
      assert.equal((await client(ctx.app.url, other.token).post('/v1/tasks/claim', { workflow: 'q-release' })).status, 204);

      const again = await c.post('/v1/tasks/claim', { workflow: 'q-release' });
      await ctx.t.db.query(`UPDATE tasks SET lease_expires_at = now() - interval '1 second' WHERE id = $1::uuid`, [again.body.task.id]);
      assert.equal(await expireLeases(ctx.t.db), 1);
      assert.equal(await count(`SELECT count(*)::int AS n FROM tasks WHERE id = $1::uuid AND status = 'cancelled'`, [again.body.task.id]), 1);
      assert.equal((await client(ctx.app.url, other.token).post('/v1/tasks/claim', { workflow: 'q-release' })).status, 204);
    });
  });
}
