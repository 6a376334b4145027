// Submits that arrive together are written by one statement (engine/intakeBatch.ts): each item is
// stored exactly as a submit alone stores it, and an idempotency key used twice in one set still
// makes one item.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { adminKey, appOnFreshDb, drivers, labelWorkflow } from './harness.ts';
import { submitItem } from '../src/engine/submit.ts';
import { EngineError } from '../src/engine/errors.ts';

for (const driver of drivers) {
  describe(`submits written together (${driver})`, () => {
    const ctx = appOnFreshDb(driver);

    test('twenty-four submits at once: each item once, with its task and events in order; one key twice is one item', async () => {
      const wf = 'intake-set';
      assert.equal((await ctx.admin.post('/v1/workflows', labelWorkflow(wf, { model: { type: 'none' }, policy: { rules: [{ when: 'segment == "vip"', priority: 7 }] } }))).status, 201);
      const engine = ctx.app.engine;
      const principal = await engine.auth.authenticate(engine.db, adminKey);
      // All in one tick, so that they meet whatever the machine's load. The same key and request
      // twice: whichever reaches the set first makes the item, and the other is told of it.
      const results = await Promise.all([
        ...Array.from({ length: 24 }, (_, i) =>
          submitItem(engine, principal, { workflow: wf, text: `order ${i} arrived broken`, metadata: i % 2 === 0 ? { segment: 'vip' } : {}, idempotencyKey: `k-${i}` })),
        submitItem(engine, principal, { workflow: wf, text: 'order 0 arrived broken', metadata: { segment: 'vip' }, idempotencyKey: 'k-0' }),
      ]);
      assert.ok(engine.intake.largestSet > 1, `submits went one at a time (largest set ${engine.intake.largestSet})`);
      const made = results.slice(0, 24);
      for (const r of made.slice(1)) assert.deepEqual([r.created, r.status], [true, 'pending']);
      const twice = [made[0]!, results[24]!];
      assert.equal(twice[0]!.itemId, twice[1]!.itemId, 'one key, one item');
      assert.deepEqual(twice.map((r) => r.created).sort(), [false, true]);
      // The same key with another request: refused.
      const refused = await submitItem(engine, principal, { workflow: wf, text: 'something else', idempotencyKey: 'k-1' }).then(
        () => 'accepted',
        (err: unknown) => (err instanceof EngineError ? err.kind : String(err)),
      );
      assert.equal(refused, 'unprocessable');

      const db = ctx.t.db;
      const [count] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM items WHERE workflow = $1`, [wf]);
      assert.equal(count?.n, 24);
      for (const [i, r] of made.entries()) {
        const rows = await db.query<{ tasks: number; priority: number; types: string[]; fields: unknown; prediction: unknown }>(
          `SELECT (SELECT count(*)::int FROM tasks WHERE item_id = i.id) AS tasks,
                  (SELECT max(priority) FROM tasks WHERE item_id = i.id) AS priority,
                  (SELECT array_agg(type ORDER BY id) FROM events WHERE item_id = i.id) AS types,
                  i.fields, jsonb_typeof(i.prediction) AS prediction
           FROM items i WHERE i.id = $1::uuid`,
          [r.itemId],
        );
        const row = rows[0]!;
        assert.equal(row.tasks, 1);
        assert.equal(row.priority, i % 2 === 0 ? 7 : 0);
        assert.deepEqual(row.fields, {});
        assert.deepEqual(row.types, ['item.routed', 'task.created']);
        assert.equal(row.prediction, 'null', 'no model: the prediction is a JSON null, as a submit alone stores it');
      }
    });
  });
}
