// The capacity plan over HTTP: measured from the workflow's own items and answers, overridable
// by the query, with a what-if over thresholds; bad queries are 400s naming the field.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { planCapacity } from '../src/core/capacity.ts';
import { appOnFreshDb, client, drivers, labelWorkflow, person } from './harness.ts';

for (const driver of drivers) {
  describe(`capacity plan on ${driver}`, () => {
    const ctx = appOnFreshDb(driver);
    before(async () => {
      assert.equal((await ctx.admin.post('/v1/workflows', labelWorkflow('cap'))).status, 201);
    });

    test('measured arrivals, handle time and automation feed the plan; the query overrides them', async () => {
      const rev = await person(ctx.t.db, 'reviewer', ['cap']);
      const me = client(ctx.app.url, rev.token);
      const spent = [30_000, 60_000, 90_000, 60_000];
      for (const ms of spent) {
        assert.equal((await ctx.admin.post('/v1/workflows/cap/items', { text: `refund please ${ms}` })).status, 201);
        const c = await me.post('/v1/tasks/claim', { workflow: 'cap' });
        assert.equal(c.status, 200);
        assert.equal((await me.post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: 1, label: 'billing', timeSpentMs: ms })).status, 200);
      }
      const lead = client(ctx.app.url, (await person(ctx.t.db, 'lead', ['cap'])).token);
      const r = await lead.get('/v1/workflows/cap/capacity?serviceLevel=0.8&withinSeconds=20');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const m = r.body.measured;
      assert.equal(m.items, 4);
      assert.equal(m.answers, 4);
      assert.equal(m.handleSeconds, 60);
      assert.equal(m.automationRate, 0, 'no model: everything went to people');
      // Four items within the first hour: four an hour.
      assert.equal(m.arrivalsPerHour, 4);
      assert.deepEqual(r.body.sources, { arrivalsPerHour: 'measured', handleSeconds: 'measured', automationRate: 'measured' });
      const expected = planCapacity({ arrivalsPerHour: 4, handleSeconds: 60, automationRate: 0, serviceLevel: 0.8, withinSeconds: 20, shrinkage: 0, patienceSeconds: null });
      assert.equal(r.body.plan.reviewers, expected.reviewers);
      assert.ok(Number.isInteger(r.body.plan.reviewers) && r.body.plan.reviewers >= 1);
      assert.ok(r.body.plan.achieved.serviceLevel >= 0.8);
      // The what-if covers the standard thresholds and the workflow's own (0.9).
      assert.ok(r.body.whatIf.some((w: { threshold: number }) => w.threshold === 0.9));
      assert.ok(r.body.whatIf.length >= 9);

      // The Call Centre Helper example through the API: 14 at once, 20 scheduled.
      const o = await lead.get('/v1/workflows/cap/capacity?arrivalsPerHour=200&handleSeconds=180&withinSeconds=20&shrinkage=0.3&automationRate=0');
      assert.equal(o.status, 200);
      assert.equal(o.body.plan.needed, 14);
      assert.equal(o.body.plan.reviewers, 20);
      assert.deepEqual(o.body.sources, { arrivalsPerHour: 'given', handleSeconds: 'given', automationRate: 'given' });
      const a = await lead.get('/v1/workflows/cap/capacity?arrivalsPerHour=200&handleSeconds=180&withinSeconds=20&automationRate=0&patienceSeconds=300');
      assert.equal(a.body.plan.model, 'erlang-a');
      assert.equal(a.body.plan.needed, 13);
      assert.ok(a.body.plan.achieved.abandonment > 0.02 && a.body.plan.achieved.abandonment < 0.03);
    });

    test('bad queries are 400s naming the field; reviewers may not read the plan', async () => {
      for (const [q, field] of [['serviceLevel=1.5', 'query.serviceLevel'], ['shrinkage=1', 'query.shrinkage'], ['handleSeconds=0', 'query.handleSeconds'], ['arrivalsPerHour=lots', 'query.arrivalsPerHour'], ['nonsense=1', 'query']] as const) {
        const r = await ctx.admin.get(`/v1/workflows/cap/capacity?${q}`);
        assert.equal(r.status, 400, q);
        assert.match(r.headers.get('content-type') ?? '', /problem\+json/);
        assert.ok(r.body.errors.some((e: { path: string }) => e.path === field), `${q}: ${JSON.stringify(r.body.errors)}`);
      }
      const rev = client(ctx.app.url, (await person(ctx.t.db, 'reviewer', ['cap'])).token);
      assert.equal((await rev.get('/v1/workflows/cap/capacity')).status, 403);
      assert.equal((await ctx.admin.get('/v1/workflows/nope/capacity')).status, 404);
      const doc = await client(ctx.app.url, null).get('/v1/openapi.json');
      assert.ok(doc.body.paths['/v1/workflows/{name}/capacity']?.get, 'documented in OpenAPI');
    });
  });
}
