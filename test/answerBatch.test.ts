// Answers on review tasks that arrive together settle together (engine/answerBatch.ts): each is
// recorded exactly as the one-by-one path records it, and a stale lease among them is refused on
// its own without holding up the rest.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appOnFreshDb, client, drivers, labelWorkflow, person } from './harness.ts';
import { answer } from '../src/engine/work.ts';
import { EngineError } from '../src/engine/errors.ts';

for (const driver of drivers) {
  describe(`answers settled together (${driver})`, () => {
    const ctx = appOnFreshDb(driver);

    test('twenty-four answers at once: each is one decision with its events and example, and a stale one gets 409 alone', async () => {
      const wf = 'together';
      assert.equal((await ctx.admin.post('/v1/workflows', labelWorkflow(wf, { model: { type: 'none' } }))).status, 201);
      const n = 24;
      for (let i = 0; i < n; i++) assert.equal((await ctx.admin.post(`/v1/workflows/${wf}/items`, { text: `card payment ${i} was charged twice` })).status, 201);
      const people = await Promise.all(Array.from({ length: n }, () => person(ctx.t.db, 'reviewer', [wf])));
      const claims: { token: string; id: string; assignment: number; itemId: string }[] = [];
      for (const p of people) {
        const c = await client(ctx.app.url, p.token).post('/v1/tasks/claim', { workflow: wf });
        assert.equal(c.status, 200);
        claims.push({ token: p.token, id: c.body.task.id, assignment: c.body.task.assignment, itemId: c.body.item.id });
      }
      const labels = ['billing', 'bug', 'fraud', 'other'];
      // All in one tick through the engine, so that the answers meet whatever the machine's load
      // (over HTTP a busy test run may bring them one at a time); the first ones go at once, the
      // rest wait and go as a set.
      const engine = ctx.app.engine;
      // A client waits on each item's decision; a set sends one notification for all its items.
      const woken = claims.map((c) => engine.waiters.wait(c.itemId, 20_000));
      const results = await Promise.all(
        claims.map(async (c, i) => {
          const principal = await engine.auth.authenticate(engine.db, c.token);
          return answer(engine, principal, {
            taskId: c.id,
            // The last one names an assignment the task never had.
            assignment: i === n - 1 ? c.assignment + 1 : c.assignment,
            outcome: { label: labels[i % labels.length] },
            timeSpentMs: 1000 + i,
          }).then((r) => ({ ok: r }), (err: unknown) => ({ err }));
        }),
      );
      for (const [i, r] of results.entries()) {
        if (i === n - 1) {
          assert.ok('err' in r && r.err instanceof EngineError && r.err.kind === 'conflict', JSON.stringify(r));
          continue;
        }
        assert.ok('ok' in r, String('err' in r ? r.err : ''));
        assert.equal(r.ok.task.status, 'done');
        assert.deepEqual({ version: r.ok.decision?.version, source: r.ok.decision?.source, outcome: r.ok.decision?.outcome }, { version: 1, source: 'human', outcome: { type: 'label', label: labels[i % labels.length] } });
      }
      assert.ok(engine.reviewAnswers.largestSet > 1, `answers went one at a time (largest set ${engine.reviewAnswers.largestSet})`);
      assert.deepEqual(await Promise.all(woken.slice(0, n - 1)), Array.from({ length: n - 1 }, () => true), 'every waiting client was woken by a notification, not by its timeout');

      const db = ctx.t.db;
      for (const [i, c] of claims.entries()) {
        const events = await db.query<{ type: string }>('SELECT type FROM events WHERE item_id = $1::uuid ORDER BY id', [c.itemId]);
        const types = events.map((e) => e.type).filter((t) => t !== 'item.received');
        const decided = i !== n - 1;
        assert.deepEqual(types.slice(-2), decided ? ['task.answered', 'decision.made'] : types.slice(-2), c.itemId);
        if (!decided) assert.ok(!types.includes('task.answered'), 'the refused answer wrote nothing');
        const [row] = await db.query<{ answers: number; decisions: number; example: string | null; status: string }>(
          `SELECT (SELECT count(*)::int FROM answers WHERE item_id = $1::uuid) AS answers,
                  (SELECT count(*)::int FROM decisions WHERE item_id = $1::uuid) AS decisions,
                  (SELECT label FROM examples WHERE item_id = $1::uuid) AS example,
                  (SELECT status FROM items WHERE id = $1::uuid) AS status`,
          [c.itemId],
        );
        assert.deepEqual(row, decided ? { answers: 1, decisions: 1, example: labels[i % labels.length], status: 'decided' } : { answers: 0, decisions: 0, example: null, status: 'pending' });
      }

      // The refused reviewer still holds the lease and answers it properly.
      const last = claims[n - 1]!;
      const again = await client(ctx.app.url, last.token).post(`/v1/tasks/${last.id}/answer`, { assignment: last.assignment, label: 'other' });
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.decision.version, 1);
      assert.equal(await woken[n - 1], true, 'the one answered alone woke its client too');
      const twice = await client(ctx.app.url, last.token).post(`/v1/tasks/${last.id}/answer`, { assignment: last.assignment, label: 'bug' });
      assert.equal(twice.status, 409);
      assert.match(twice.body.detail ?? twice.body.title, /answered already/);
    });
  });
}
