// An answer that asks for the next task (`next`) gets it in the same round trip, leased as a
// claim leases it; a filter the caller may not use is refused before the answer is recorded, and a
// claim that fails after the answer leaves the answer standing. The claim runs beside the answer:
// a refused answer gives back what it took, a voter never gets a second vote on the item, and a
// training answer still goes first, so the next gold task counts it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appOnFreshDb, client, drivers, labelWorkflow, person } from './harness.ts';

for (const driver of drivers) {
  describe(`answer and take the next task (${driver})`, () => {
    const ctx = appOnFreshDb(driver);

    test('each answer brings the next task until none is waiting; the lease it brings is the reviewer\'s', async () => {
      const wf = 'next-loop';
      assert.equal((await ctx.admin.post('/v1/workflows', labelWorkflow(wf, { model: { type: 'none' } }))).status, 201);
      const ids = new Set<string>();
      for (let i = 0; i < 3; i++) ids.add((await ctx.admin.post(`/v1/workflows/${wf}/items`, { text: `charged twice ${i}` })).body.id);
      const p = await person(ctx.t.db, 'reviewer', [wf]);
      const http = client(ctx.app.url, p.token);
      let claim = await http.post('/v1/tasks/claim', { workflow: wf });
      assert.equal(claim.status, 200);
      let current = claim.body as { task: { id: string; assignment: number }; item: { id: string } };
      const seen: string[] = [current.item.id];
      for (let i = 0; i < 3; i++) {
        const r = await http.post(`/v1/tasks/${current.task.id}/answer`, { assignment: current.task.assignment, label: 'billing', next: { workflow: wf } });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.decision.version, 1);
        assert.equal(r.body.nextError, undefined);
        if (i === 2) {
          assert.equal(r.body.next, null, 'the queue is empty');
          break;
        }
        // The same view a claim gives: the task with its lease, and the item.
        assert.equal(r.body.next.task.status, 'leased');
        assert.equal(typeof r.body.next.item.text, 'string');
        current = r.body.next;
        seen.push(current.item.id);
      }
      assert.deepEqual(new Set(seen), ids);
      const claimed = await ctx.t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE type = 'task.claimed' AND payload->>'reviewer' = $1`, [p.id]);
      assert.equal(claimed[0]?.n, 3);
      claim = await http.post('/v1/tasks/claim', { workflow: wf });
      assert.equal(claim.status, 204);
    });

    test('a next filter naming a workflow the reviewer does not work: 404, and the answer is not recorded', async () => {
      const wf = 'next-scope';
      assert.equal((await ctx.admin.post('/v1/workflows', labelWorkflow(wf, { model: { type: 'none' } }))).status, 201);
      assert.equal((await ctx.admin.post(`/v1/workflows/${wf}/items`, { text: 'refund' })).status, 201);
      const p = await person(ctx.t.db, 'reviewer', [wf]);
      const http = client(ctx.app.url, p.token);
      const c = await http.post('/v1/tasks/claim', { workflow: wf });
      const refused = await http.post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: c.body.task.assignment, label: 'bug', next: { workflow: 'somebody-elses' } });
      assert.equal(refused.status, 404, JSON.stringify(refused.body));
      const bad = await http.post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: c.body.task.assignment, label: 'bug', next: { workflow: wf, colour: 'red' } });
      assert.equal(bad.status, 400, JSON.stringify(bad.body));
      assert.equal((await ctx.t.db.query('SELECT 1 FROM answers WHERE task_id = $1::uuid', [c.body.task.id])).length, 0);
      const ok = await http.post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: c.body.task.assignment, label: 'bug' });
      assert.equal(ok.status, 200);
      assert.equal('next' in ok.body, false, 'no next without asking');
    });

    test('an answer refused for a stale assignment gives back the task its next claim took', async () => {
      const wf = 'next-refused';
      assert.equal((await ctx.admin.post('/v1/workflows', labelWorkflow(wf, { model: { type: 'none' } }))).status, 201);
      for (const text of ['refund one', 'refund two']) assert.equal((await ctx.admin.post(`/v1/workflows/${wf}/items`, { text })).status, 201);
      const p = await person(ctx.t.db, 'reviewer', [wf]);
      const http = client(ctx.app.url, p.token);
      const c = await http.post('/v1/tasks/claim', { workflow: wf });
      assert.equal(c.status, 200);
      const stale = await http.post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: c.body.task.assignment + 1, label: 'billing', next: { workflow: wf } });
      assert.equal(stale.status, 409, JSON.stringify(stale.body));
      assert.match(stale.body.detail, /stale/);
      // The other task was leased beside the answer, then released: open again, with the events that say so.
      const other = await ctx.t.db.query<{ status: string; assignment: number; lease_owner: string | null }>(
        `SELECT status, assignment, lease_owner::text AS lease_owner FROM tasks WHERE workflow = $1 AND id <> $2::uuid`, [wf, c.body.task.id]);
      assert.deepEqual(other, [{ status: 'open', assignment: 1, lease_owner: null }]);
      const events = await ctx.t.db.query<{ type: string }>(
        `SELECT type FROM events WHERE workflow = $1 AND task_id <> $2::uuid AND type LIKE 'task.%' AND type <> 'task.created' ORDER BY id`, [wf, c.body.task.id]);
      assert.deepEqual(events.map((e) => e.type), ['task.claimed', 'task.released']);
      assert.equal((await ctx.t.db.query('SELECT 1 FROM answers WHERE task_id = $1::uuid', [c.body.task.id])).length, 0);
      // The right assignment still answers, and brings the task that was given back.
      const ok = await http.post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: c.body.task.assignment, label: 'billing', next: { workflow: wf } });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.next.item.text, 'refund two');
      assert.equal(ok.body.next.task.assignment, 2);
    });

    test('a voter\'s next claim never brings another vote on the item they are voting on', async () => {
      const wf = 'next-votes';
      assert.equal((await ctx.admin.post('/v1/workflows', labelWorkflow(wf, { model: { type: 'none' }, consensus: { answers: 2, rule: 'majority' } }))).status, 201);
      assert.equal((await ctx.admin.post(`/v1/workflows/${wf}/items`, { text: 'charged twice' })).status, 201);
      const [a, b] = [await person(ctx.t.db, 'reviewer', [wf]), await person(ctx.t.db, 'reviewer', [wf])];
      const first = await client(ctx.app.url, a.token).post('/v1/tasks/claim', { workflow: wf });
      assert.equal(first.status, 200);
      assert.equal(first.body.task.kind, 'vote');
      const answered = await client(ctx.app.url, a.token).post(`/v1/tasks/${first.body.task.id}/answer`, { assignment: first.body.task.assignment, label: 'billing', next: { workflow: wf } });
      assert.equal(answered.status, 200, JSON.stringify(answered.body));
      assert.equal(answered.body.next, null, 'the other vote on the item is not theirs to take');
      const second = await client(ctx.app.url, b.token).post('/v1/tasks/claim', { workflow: wf });
      assert.equal(second.status, 200, 'the other vote is still open for somebody else');
      assert.equal(second.body.item.id, first.body.item.id);
    });

    test('in training, each answer goes before the claim it brings: the next gold task counts it', async () => {
      const wf = 'next-training';
      assert.equal((await ctx.admin.post('/v1/workflows', labelWorkflow(wf, { model: { type: 'none' }, quality: { trainingItems: 2, qualification: { items: 1, passMark: 0.5 } } }))).status, 201);
      const gold = ['charged twice', 'app crashes', 'card stolen', 'opening hours'].map((text, i) => ({ text, label: ['billing', 'bug', 'fraud', 'other'][i]! }));
      assert.equal((await ctx.admin.post(`/v1/workflows/${wf}/gold/import`, { items: gold })).status, 201);
      const p = await person(ctx.t.db, 'reviewer', [wf]);
      const http = client(ctx.app.url, p.token);
      let current = (await http.post('/v1/tasks/claim', { workflow: wf })).body;
      const reasons: string[] = [current.task.reason];
      for (let i = 0; i < 2; i++) {
        const r = await http.post(`/v1/tasks/${current.task.id}/answer`, { assignment: current.task.assignment, label: 'billing', next: { workflow: wf } });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.nextError, undefined);
        current = r.body.next;
        reasons.push(current.task.reason);
      }
      assert.deepEqual(reasons.map((x) => x.replace(/:.*/, '')), ['training 1 of 2', 'training 2 of 2', 'qualification test 1 of 1']);
    });

    test('a next claim that fails leaves the answer recorded, with nextError', async () => {
      const open = 'next-open';
      const gated = 'next-gated';
      assert.equal((await ctx.admin.post('/v1/workflows', labelWorkflow(open, { model: { type: 'none' } }))).status, 201);
      // Training first, and no gold items: a claim naming this workflow cannot be served.
      assert.equal((await ctx.admin.post('/v1/workflows', labelWorkflow(gated, { model: { type: 'none' }, quality: { trainingItems: 2 } }))).status, 201);
      assert.equal((await ctx.admin.post(`/v1/workflows/${open}/items`, { text: 'refund' })).status, 201);
      const p = await person(ctx.t.db, 'reviewer', [open, gated]);
      const http = client(ctx.app.url, p.token);
      const c = await http.post('/v1/tasks/claim', { workflow: open });
      assert.equal(c.status, 200);
      const r = await http.post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: c.body.task.assignment, label: 'fraud', next: { workflow: gated } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.decision.outcome.label, 'fraud');
      assert.equal(r.body.next, null);
      assert.match(r.body.nextError, /training/);
    });
  });
}
