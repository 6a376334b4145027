// Claims that arrive together are served by one statement (engine/claimBatch.ts): each claimer
// gets a task of their own, recorded as a claim alone records it, and the rules a claim alone
// keeps (one vote per person per item) hold for the set.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appOnFreshDb, client, drivers, labelWorkflow, person } from './harness.ts';

for (const driver of drivers) {
  describe(`claims served together (${driver})`, () => {
    const ctx = appOnFreshDb(driver);

    test('twenty-four claims at once: each gets its own task, with one task.claimed event, best first; the rest over HTTP', async () => {
      const wf = 'together';
      assert.equal((await ctx.admin.post('/v1/workflows', labelWorkflow(wf, { model: { type: 'none' }, policy: { rules: [{ when: 'segment == "vip"', priority: 10 }] } }))).status, 201);
      const n = 24;
      const urgent = new Set<string>();
      for (let i = 0; i < n + 6; i++) {
        const r = await ctx.admin.post(`/v1/workflows/${wf}/items`, { text: `card payment ${i} was charged twice`, ...(i >= n ? { metadata: { segment: 'vip' } } : {}) });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        if (i >= n) urgent.add(r.body.id);
      }
      const people = await Promise.all(Array.from({ length: n }, () => person(ctx.t.db, 'reviewer', [wf])));
      // All in one tick, so that the claims meet whatever the machine's load: over HTTP they may
      // arrive one at a time. The first ones go at once, the rest wait and go as a set.
      const filter = { workflows: [wf], workflow: wf, queue: null, skills: [], mayTakeEscalations: false, leaseSeconds: 300 };
      const served = await Promise.all(people.map((p) => ctx.app.engine.claims.claim({ ...filter, reviewerId: p.id })));
      const claims = served.map((c) => {
        assert.ok(c, 'every claimer got a task');
        return { body: { task: { id: c.task.id, assignment: c.task.assignment }, item: { id: c.item.id } } };
      });
      const taskIds = claims.map((c) => c.body.task.id);
      assert.equal(new Set(taskIds).size, n, 'no task went to two claimers');
      // The six urgent items are the best work: they are handed out before the rest.
      assert.equal(claims.filter((c) => urgent.has(c.body.item.id)).length, 6);
      assert.ok(ctx.app.engine.claims.largestSet > 1, `claims went one at a time (largest set ${ctx.app.engine.claims.largestSet})`);

      const db = ctx.t.db;
      for (const [i, c] of claims.entries()) {
        const rows = await db.query<{ status: string; lease_owner: string; assignment: number; events: Array<{ reviewer: string; assignment: number }> }>(
          `SELECT t.status, t.lease_owner::text AS lease_owner, t.assignment,
                  (SELECT coalesce(jsonb_agg(e.payload), '[]'::jsonb) FROM events e WHERE e.task_id = t.id AND e.type = 'task.claimed') AS events
           FROM tasks t WHERE t.id = $1::uuid`,
          [c.body.task.id],
        );
        assert.deepEqual(rows[0], { status: 'leased', lease_owner: people[i]!.id, assignment: c.body.task.assignment, events: [{ reviewer: people[i]!.id, assignment: c.body.task.assignment }] });
        // The lease is the claimer's: they answer it.
        const a = await client(ctx.app.url, people[i]!.token).post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: c.body.task.assignment, label: 'billing' });
        assert.equal(a.status, 200, JSON.stringify(a.body));
      }
      // Six tasks are left for twenty-four claimers: six get one, the others hear there is none.
      const again = await Promise.all(people.map((p) => client(ctx.app.url, p.token).post('/v1/tasks/claim', { workflow: wf })));
      assert.deepEqual(again.map((c) => c.status).sort(), [...Array(6).fill(200), ...Array(n - 6).fill(204)].sort());
    });

    test('a vote one claimer gave is not theirs to take, and the others of the set still get it', async () => {
      const wf = 'votes';
      assert.equal((await ctx.admin.post('/v1/workflows', labelWorkflow(wf, { model: { type: 'none' }, consensus: { answers: 3, rule: 'majority' } }))).status, 201);
      const item = await ctx.admin.post(`/v1/workflows/${wf}/items`, { text: 'was I charged twice?' });
      assert.equal(item.status, 201);
      const [a, b, c] = await Promise.all([0, 1, 2].map(() => person(ctx.t.db, 'reviewer', [wf])));
      const first = await client(ctx.app.url, a!.token).post('/v1/tasks/claim', { workflow: wf });
      assert.equal(first.status, 200);
      assert.equal((await client(ctx.app.url, a!.token).post(`/v1/tasks/${first.body.task.id}/answer`, { assignment: first.body.task.assignment, label: 'billing' })).status, 200);

      // a, b and c claim at once: the two open votes go to b and c, never to a.
      const [ca, cb, cc] = await Promise.all([a!, b!, c!].map((p) => client(ctx.app.url, p.token).post('/v1/tasks/claim', { workflow: wf })));
      assert.equal(ca!.status, 204, JSON.stringify(ca!.body));
      assert.equal(cb!.status, 200, JSON.stringify(cb!.body));
      assert.equal(cc!.status, 200, JSON.stringify(cc!.body));
      assert.notEqual(cb!.body.task.id, cc!.body.task.id);
      assert.equal(cb!.body.item.id, item.body.id);
    });

    test('one person claiming twice at once gets one vote on an item, not two', async () => {
      // Whether two claims meet in one set or run side by side is a matter of timing: try a few times.
      for (let round = 0; round < 5; round++) {
        const wf = `twice-${round}`;
        assert.equal((await ctx.admin.post('/v1/workflows', labelWorkflow(wf, { model: { type: 'none' }, consensus: { answers: 2, rule: 'unanimous' } }))).status, 201);
        assert.equal((await ctx.admin.post(`/v1/workflows/${wf}/items`, { text: `refund please ${round}` })).status, 201);
        const p = await person(ctx.t.db, 'reviewer', [wf]);
        const both = await Promise.all([0, 1].map(() => client(ctx.app.url, p.token).post('/v1/tasks/claim', { workflow: wf })));
        assert.deepEqual(both.map((r) => r.status).sort(), [200, 204], `round ${round}`);
        const mine = both.find((r) => r.status === 200)!;
        assert.equal((await client(ctx.app.url, p.token).post(`/v1/tasks/${mine.body.task.id}/answer`, { assignment: mine.body.task.assignment, label: 'billing' })).status, 200);
      }
    });
  });
}
