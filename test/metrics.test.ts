// GET /metrics as Prometheus scrapes it: items by route, decisions by source, queues, handle time,
// SLA breaches, the serving model, HTTP latency by route pattern — and who may scrape.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tick } from '../src/engine/timekeeper.ts';
import { insertModelVersion } from '../src/store/modelVersions.ts';
import { adminKey, client, drivers, freshDb, labelWorkflow, person, startApp, type TestApp, type TestDb } from './harness.ts';
import { startScorer, type Scorer } from './scorer.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a text exposition (format 0.0.4), with TYPE lines checked for each family. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP')) continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

for (const driver of drivers) {
  describe(`metrics on ${driver}`, () => {
    let t: TestDb;
    let app: TestApp;
    let scorer: Scorer;
    const admin = () => client(app.url, adminKey);

    before(async () => {
      t = await freshDb(driver);
      app = await startApp(t.db, { server: { metricsToken: 'scrape-secret-0123456789' } });
      scorer = await startScorer({ kind: 'labels', labels: { billing: 0.95, bug: 0.03, fraud: 0.01, other: 0.01 } });
    });
    after(async () => {
      await app.close();
      await scorer.close();
      await t.drop();
    });

    const scrape = async () => {
      const res = await fetch(`${app.url}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      return parseExposition(await res.text());
    };
    const value = (samples: Sample[], name: string, labels: Record<string, string>) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

    test('counts items, decisions, queues, handle time, breaches and the model from the database', async () => {
      scorer.behave.set('unsure', { kind: 'labels', labels: { billing: 0.5, bug: 0.5 } });
      const model = { type: 'http', url: scorer.url, timeoutMs: 2000 };
      assert.equal((await admin().post('/v1/workflows', labelWorkflow('m-flow', { model, slaSeconds: 600, policy: { rules: [{ when: 'amount > 500', action: 'escalate', name: 'large' }] } }))).status, 201);
      for (let i = 0; i < 3; i++) assert.equal((await admin().post('/v1/workflows/m-flow/items', { text: `invoice ${i}` })).body.route.route, 'auto');
      for (let i = 0; i < 4; i++) assert.equal((await admin().post('/v1/workflows/m-flow/items', { text: `unsure ${i}` })).body.route.route, 'review');
      assert.equal((await admin().post('/v1/workflows/m-flow/items', { text: 'refund', fields: { amount: 900 } })).body.route.route, 'escalate');

      // Two reviews answered (3 s and 45 s), one claimed and held, one left open; one task overdue.
      const rev = await person(t.db, 'reviewer', ['m-flow']);
      const me = client(app.url, rev.token);
      for (const ms of [3000, 45_000]) {
        const c = await me.post('/v1/tasks/claim', { workflow: 'm-flow' });
        assert.equal(c.status, 200);
        assert.equal((await me.post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: c.body.task.assignment, label: 'bug', timeSpentMs: ms })).status, 200);
      }
      const held = await me.post('/v1/tasks/claim', { workflow: 'm-flow' });
      assert.equal(held.status, 200);
      await t.db.query(`UPDATE tasks SET due_at = now() - interval '1 second', created_at = now() - interval '2 hours' WHERE id = $1::uuid`, [held.body.task.id]);
      await t.db.query(`UPDATE tasks SET created_at = now() - interval '90 seconds' WHERE status = 'open' AND queue = 'review' AND workflow = 'm-flow'`);
      await tick(t.db);

      // A served model on another workflow: its version and calibration error are reported.
      await admin().post('/v1/workflows', labelWorkflow('m-model'));
      for (const ece of [0.08, 0.031]) {
        await insertModelVersion(t.db, { workflow: 'm-model', weights: new Uint8Array([1]), labels: ['billing', 'bug', 'fraud', 'other'], trainingSize: 10, lastExample: '0', scores: { accuracy: 0.9, ece }, calibration: {}, trainingMs: 1, heldOut: [] });
      }

      // A webhook endpoint with a delivered event (after one failed try), one pending for a minute
      // after three failed tries, and a dead one after five.
      const events = await t.db.query<{ id: string }>(`SELECT id::text AS id FROM events ORDER BY id LIMIT 3`);
      assert.equal(events.length, 3);
      const [endpoint] = await t.db.query<{ id: string }>(
        `INSERT INTO webhook_endpoints (url, workflow, secret, created_by) VALUES ('http://127.0.0.1:9/hook', 'm-flow', 'whsec_dGVzdA==', 'test') RETURNING id::text AS id`,
      );
      await t.db.query(
        `INSERT INTO webhook_deliveries (endpoint_id, event_id, status, attempts, created_at) VALUES
           ($1::uuid, $2::bigint, 'delivered', 2, now() - interval '5 minutes'),
           ($1::uuid, $3::bigint, 'pending', 3, now() - interval '60 seconds'),
           ($1::uuid, $4::bigint, 'dead', 5, now() - interval '2 days')`,
        [endpoint!.id, events[0]!.id, events[1]!.id, events[2]!.id],
      );

      const { samples, types } = await scrape();
      const hook = { endpoint: endpoint!.id };
      assert.equal(value(samples, 'tandem_webhook_deliveries', { ...hook, status: 'pending' }), 1);
      assert.equal(value(samples, 'tandem_webhook_deliveries', { ...hook, status: 'dead' }), 1);
      assert.equal(value(samples, 'tandem_webhook_failed_attempts_total', hook), 1 + 3 + 5);
      const lag = value(samples, 'tandem_webhook_delivery_lag_seconds', hook)!;
      assert.ok(lag >= 60 && lag < 180, `the pending delivery waits about 60 s, not ${lag}`);
      const wf = { workflow: 'm-flow' };
      assert.equal(value(samples, 'tandem_items_total', { ...wf, route: 'auto' }), 3);
      assert.equal(value(samples, 'tandem_items_total', { ...wf, route: 'review' }), 4);
      assert.equal(value(samples, 'tandem_items_total', { ...wf, route: 'escalate' }), 1);
      assert.equal(value(samples, 'tandem_decisions_total', { ...wf, source: 'machine' }), 3);
      assert.equal(value(samples, 'tandem_decisions_total', { ...wf, source: 'human' }), 2);
      assert.equal(value(samples, 'tandem_queue_tasks', { ...wf, queue: 'review', status: 'open' }), 1);
      assert.equal(value(samples, 'tandem_queue_tasks', { ...wf, queue: 'review', status: 'leased' }), 1);
      assert.equal(value(samples, 'tandem_queue_tasks', { ...wf, queue: 'escalation', status: 'open' }), 1);
      const age = value(samples, 'tandem_queue_oldest_open_task_age_seconds', { ...wf, queue: 'review' })!;
      assert.ok(age >= 90 && age < 200, `oldest open review task is about 90 s old, not ${age}`);
      assert.equal(value(samples, 'tandem_sla_breaches_total', { ...wf, queue: 'review' }), 1);
      assert.equal(types.get('tandem_task_handle_seconds'), 'histogram');
      assert.equal(value(samples, 'tandem_task_handle_seconds_bucket', { ...wf, le: '5' }), 1);
      assert.equal(value(samples, 'tandem_task_handle_seconds_bucket', { ...wf, le: '30' }), 1);
      assert.equal(value(samples, 'tandem_task_handle_seconds_bucket', { ...wf, le: '60' }), 2);
      assert.equal(value(samples, 'tandem_task_handle_seconds_bucket', { ...wf, le: '+Inf' }), 2);
      assert.equal(value(samples, 'tandem_task_handle_seconds_count', wf), 2);
      assert.equal(value(samples, 'tandem_task_handle_seconds_sum', wf), 48);
      assert.equal(value(samples, 'tandem_model_version', { workflow: 'm-model' }), 2);
      assert.equal(value(samples, 'tandem_model_calibration_error', { workflow: 'm-model' }), 0.031);
      assert.equal(types.get('tandem_items_total'), 'counter');
      assert.equal(types.get('tandem_queue_tasks'), 'gauge');
      assert.ok(value(samples, 'process_resident_memory_bytes', {})! > 0, 'the process metrics are there too');

      // One more answer shows at the next scrape: nothing is cached across scrapes.
      const c = await me.post('/v1/tasks/claim', { workflow: 'm-flow' });
      await me.post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: c.body.task.assignment, label: 'bug', timeSpentMs: 4000 });
      const next = (await scrape()).samples;
      assert.equal(value(next, 'tandem_decisions_total', { ...wf, source: 'human' }), 3);
      assert.equal(value(next, 'tandem_task_handle_seconds_bucket', { ...wf, le: '5' }), 2);
      assert.equal(value(next, 'tandem_queue_tasks', { ...wf, queue: 'review', status: 'open' }), 0);
    });

    test('times HTTP requests by route pattern and status, not by raw URL', async () => {
      const missing = await admin().get('/v1/items/00000000-0000-4000-8000-000000000000');
      assert.equal(missing.status, 404);
      await admin().get('/v1/items/00000000-0000-4000-8000-000000000001');
      await admin().get('/healthz');
      const { samples, types } = await scrape();
      assert.equal(types.get('tandem_http_request_duration_seconds'), 'histogram');
      const item = { method: 'GET', route: '/v1/items/:id', status: '404' };
      assert.equal(value(samples, 'tandem_http_request_duration_seconds_count', item), 2);
      assert.equal(value(samples, 'tandem_http_request_duration_seconds_count', { method: 'GET', route: '/healthz', status: '200' }), 1);
      assert.ok(value(samples, 'tandem_http_request_duration_seconds_sum', item)! > 0);
      const submits = value(samples, 'tandem_http_request_duration_seconds_count', { method: 'POST', route: '/v1/workflows/:name/items', status: '201' });
      assert.ok(submits !== undefined && submits >= 8, `submits timed under their pattern: ${submits}`);
      assert.ok(!samples.some((s) => s.labels.route?.includes('00000000')), 'no raw ids in route labels');
    });

    test('only local unproxied scrapers, or the bearer token, may read metrics', async () => {
      const url = `${app.url}/metrics`;
      const proxied = await fetch(url, { headers: { 'x-forwarded-for': '203.0.113.9' } });
      assert.equal(proxied.status, 401);
      assert.match(proxied.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal((await fetch(url, { headers: { 'x-forwarded-for': '203.0.113.9', authorization: 'Bearer scrape-secret-0123456789' } })).status, 200);
      assert.equal((await fetch(url, { headers: { 'x-forwarded-for': '203.0.113.9', authorization: 'Bearer scrape-secret-0123456788' } })).status, 401);
      assert.equal((await fetch(url, { headers: { authorization: `Bearer ${adminKey}` } })).status, 401, 'an API key is not the metrics token');
      assert.ok((await admin().get('/v1/openapi.json')).body.paths['/metrics'].get, 'documented in OpenAPI');
    });
  });
}
