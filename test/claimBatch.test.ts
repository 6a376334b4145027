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

    test('across several workflows the best tasks of them all go first, alone and in a set, for a reviewer and for a lead', async () => {
      const [wa, wb, wc] = ['across-a', 'across-b', 'across-c'];
      for (const wf of [wa, wb, wc]) assert.equal((await ctx.admin.post('/v1/workflows', labelWorkflow(wf, { model: { type: 'none' } }))).status, 201);
      // Priorities and due times set by hand, interleaved across the workflows: the best task
      // overall is 8 (in b), then 7 (in a), and so on; c is outside the reviewer's workflows.
      const order: string[] = [];
      const plan: Array<[string, number, number]> = [[wa, 7, 0], [wb, 8, 0], [wa, 5, 1], [wb, 5, 0], [wa, 1, 0], [wb, 0, 0], [wc, 9, 0]];
      const taskOf = new Map<string, string>();
      for (const [i, [wf, priority, late]] of plan.entries()) {
        const r = await ctx.admin.post(`/v1/workflows/${wf}/items`, { text: `order ${i}` });
        assert.equal(r.status, 201);
        const [t] = await ctx.t.db.query<{ id: string }>(
          `UPDATE tasks SET priority = $2::int, due_at = now() + make_interval(mins => $3::int) WHERE item_id = $1::uuid RETURNING id::text`, [r.body.id, priority, late]);
        taskOf.set(t!.id, `${wf}:${priority}${late ? ' late' : ''}`);
      }
      for (const [wf, priority, late] of [...plan].filter(([wf]) => wf !== wc).sort((x, y) => y[1] - x[1] || x[2] - y[2])) order.push(`${wf}:${priority}${late ? ' late' : ''}`);
      const reviewer = await person(ctx.t.db, 'reviewer', [wa, wb]);
      const http = client(ctx.app.url, reviewer.token);
      const alone: string[] = [];
      for (let i = 0; i < 3; i++) {
        const c = await http.post('/v1/tasks/claim', {});
        assert.equal(c.status, 200);
        alone.push(taskOf.get(c.body.task.id)!);
        assert.equal((await http.post(`/v1/tasks/${c.body.task.id}/release`, { assignment: c.body.task.assignment })).status, 200);
      }
      assert.deepEqual(alone, [order[0], order[0], order[0]], 'a released task is the best again');
      // Three claimers at once, each in both workflows: the three best tasks, best first.
      const others = await Promise.all([0, 1, 2].map(() => person(ctx.t.db, 'reviewer', [wa, wb])));
      const filter = { workflows: [wa, wb], workflow: null, queue: null, skills: [], mayTakeEscalations: false, leaseSeconds: 300 };
      const served = await Promise.all(others.map((p) => ctx.app.engine.claims.claim({ ...filter, reviewerId: p.id })));
      assert.deepEqual(new Set(served.map((c) => taskOf.get(c!.task.id))), new Set(order.slice(0, 3)));
      // A lead sees every workflow: the best open task left is c's 9, then the fourth of the two.
      const lead = await person(ctx.t.db, 'lead', [wa, wb, wc]);
      const leadHttp = client(ctx.app.url, lead.token);
      const first = await leadHttp.post('/v1/tasks/claim', {});
      const second = await leadHttp.post('/v1/tasks/claim', {});
      assert.deepEqual([taskOf.get(first.body.task.id), taskOf.get(second.body.task.id)], [`${wc}:9`, order[3]]);
    });
  });
}

describe('claim statements on a Postgres server (postgres)', () => {
  const ctx = appOnFreshDb('postgres');

  test('run on connections of their own, always on the generic plan', async () => {
    const db = ctx.t.db;
    const mode = async (q: { query: typeof db.query }) => (await q.query<{ m: string }>(`SELECT current_setting('plan_cache_mode') AS m`))[0]!.m;
    assert.equal(await mode(db.claims), 'force_generic_plan');
    assert.equal(await mode(db), 'auto', 'the other statements keep the choice between plans');

    const wf = 'generic';
    assert.equal((await ctx.admin.post('/v1/workflows', labelWorkflow(wf, { model: { type: 'none' } }))).status, 201);
    for (let i = 0; i < 8; i++) assert.equal((await ctx.admin.post(`/v1/workflows/${wf}/items`, { text: `parcel ${i} never arrived` })).status, 201);
    const reviewer = await person(db, 'reviewer', [wf]);
    for (let i = 0; i < 8; i++) {
      const c = await client(ctx.app.url, reviewer.token).post('/v1/tasks/claim', { workflow: wf });
      assert.equal(c.status, 200, JSON.stringify(c.body));
      assert.equal((await client(ctx.app.url, reviewer.token).post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: c.body.task.assignment, label: 'other' })).status, 200);
    }
    // Each connection keeps its own prepared statements: ask the pool until both have answered.
    const seen = new Map<string, { generic: number; custom: number }>();
    for (let i = 0; i < 20; i++) {
      const rows = await db.claims.query<{ pid: number; name: string; generic: string; custom: string }>(
        `SELECT pg_backend_pid() AS pid, name, generic_plans AS generic, custom_plans AS custom FROM pg_prepared_statements WHERE name LIKE 'claimNext%'`,
      );
      for (const r of rows) seen.set(`${r.pid} ${r.name}`, { generic: Number(r.generic), custom: Number(r.custom) });
    }
    const plans = [...seen.values()];
    assert.ok(plans.reduce((n, p) => n + p.generic, 0) >= 8, `the claims ran on these connections: ${JSON.stringify([...seen])}`);
    assert.deepEqual(plans.filter((p) => p.custom > 0), [], 'no claim was planned for its own parameters');
  });
});
