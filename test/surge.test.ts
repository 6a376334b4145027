// The surge policy end to end over HTTP, on both drivers: a workflow with one reviewer is
// calibrated, flooded and drained while the test drives the surge controller pass by pass.
// The actions come in the declared order with their reasons, a low-risk label's threshold falls
// to its accuracy floor and no lower while a high-risk label's stays, deferred items are not
// claimed while the surge lasts, a notification reaches a local stand-in chat server, and
// everything reverts, last first, as the queue drains.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { startNotifier, type Notifier } from '../src/engine/notifications.ts';
import { controlWorkflow, runSurgePass, type SurgePass } from '../src/engine/surge.ts';
import { adminKey, client, drivers, eventually, freshDb, labelWorkflow, person, startApp, type TestApp, type TestDb } from './harness.ts';
import { startScorer, type Scorer } from './scorer.ts';

/** A stand-in chat server (the `json` notification format) that keeps every body. */
async function startReceiver(): Promise<{ url: string; got: Array<{ events: Array<Record<string, any>> }>; close(): Promise<void> }> {
  const got: Array<{ events: Array<Record<string, any>> }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  if (!a || typeof a === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${a.port}/hook`,
    got,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const wfName = 'surge-wf';
const floor = 0.8;

for (const driver of drivers) {
  describe(`surge policy on ${driver}`, () => {
    let t: TestDb;
    let app: TestApp;
    /** Another engine on the same database, as a second process would be. */
    let other: TestApp;
    let scorer: Scorer;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let notifier: Notifier;
    let admin: ReturnType<typeof client>;
    let reviewer: ReturnType<typeof client>;

    before(async () => {
      t = await freshDb(driver);
      app = await startApp(t.db);
      other = await startApp(t.db);
      receiver = await startReceiver();
      // Confidence by a key in the text: billing is the low-risk label, fraud the high-risk one.
      scorer = await startScorer({ kind: 'labels', labels: { other: 0.5, bug: 0.5 } });
      scorer.behave.set('billing-85', { kind: 'labels', labels: { billing: 0.85, bug: 0.15 } });
      scorer.behave.set('billing-75', { kind: 'labels', labels: { billing: 0.75, bug: 0.25 } });
      scorer.behave.set('billing-55', { kind: 'labels', labels: { billing: 0.55, bug: 0.45 } });
      scorer.behave.set('fraud-85', { kind: 'labels', labels: { fraud: 0.85, other: 0.15 } });
      admin = client(app.url, adminKey);
      const created = await admin.post('/v1/workflows', labelWorkflow(wfName, {
        model: { type: 'http', url: scorer.url, timeoutMs: 2000 },
        slaSeconds: 3600,
        policy: { threshold: 0.9, rules: [{ when: 'metadata.vip == true', name: 'vip' }] },
        surge: {
          order: ['prioritize', 'lowerThresholds', 'defer', 'notify'],
          targetWaitSeconds: 60,
          enterAt: 1,
          exitAt: 0.5,
          holdSeconds: 0,
          prioritize: { rules: ['vip'], boost: 100 },
          lowerThresholds: { labels: ['billing'], accuracyFloor: floor, minKnown: 10 },
          defer: { when: "metadata.tier == 'free'" },
        },
      }));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const target = await admin.post('/v1/notification-targets', { format: 'json', url: receiver.url, workflow: wfName, windowSeconds: 0, perMinute: 600 });
      assert.equal(target.status, 201, JSON.stringify(target.body));
      notifier = startNotifier(t.db, { intervalMs: 30, random: () => 1 }, (err) => console.error(err));
      reviewer = client(app.url, (await person(t.db, 'reviewer', [wfName])).token);
    });
    after(async () => {
      await notifier.stop();
      await app.close();
      await other.close();
      await scorer.close();
      await receiver.close();
      await t.drop();
    });

    const pass = async (): Promise<SurgePass> => {
      const passes = await runSurgePass(app.engine, { owner: 'surge-test', windowSeconds: 300, activeSeconds: 600 });
      assert.ok(passes, 'this controller holds the lease');
      const p = passes.find((x) => x.workflow === wfName);
      assert.ok(p);
      assert.equal(p.written, true);
      return p;
    };
    const submit = async (text: string, metadata: Record<string, unknown> = {}) => {
      const r = await admin.post(`/v1/workflows/${wfName}/items`, { text, metadata });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body as { id: string; status: string; route: { route: string; priority: number; reasons: Array<Record<string, unknown>> } };
    };
    const inBatches = async <T>(n: number, f: (i: number) => Promise<T>): Promise<T[]> => {
      const out: T[] = [];
      for (let i = 0; i < n; i += 20) out.push(...(await Promise.all(Array.from({ length: Math.min(20, n - i) }, (_, j) => f(i + j)))));
      return out;
    };
    /** Claims and answers until nothing is claimable; the items claimed, in order. */
    const drain = async (answerFor: (text: string) => string = () => 'other'): Promise<Array<{ id: string; text: string; metadata: Record<string, unknown>; priority: number }>> => {
      const got = [];
      for (;;) {
        const c = await reviewer.post('/v1/tasks/claim', { workflow: wfName });
        if (c.status === 204) return got;
        assert.equal(c.status, 200, JSON.stringify(c.body));
        got.push({ id: c.body.item.id, text: c.body.item.text, metadata: c.body.item.metadata, priority: c.body.task.priority });
        const a = await reviewer.post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: c.body.task.assignment, label: answerFor(c.body.item.text), timeSpentMs: 1000 });
        assert.equal(a.status, 200, JSON.stringify(a.body));
      }
    };
    const count = async (sql: string) => (await t.db.query<{ n: number }>(sql, [wfName]))[0]!.n;

    test('a flood escalates the declared steps in order; draining the queue reverts them last first', async () => {
      // Calibration: people settle billing items at three confidences; the lowest are half wrong.
      let k = 0;
      await inBatches(60, (i) => submit(`${['billing-85', 'billing-75', 'billing-55'][i % 3]} case ${k++}`));
      let wrong55 = 0;
      const calibrated = await drain((text) => (text.startsWith('billing-55') && wrong55++ % 2 === 0 ? 'bug' : 'billing'));
      assert.equal(calibrated.length, 60);

      const calm = await pass();
      assert.deepEqual(calm.changes, [], `calm load: forecast ${calm.forecast.waitSeconds}`);
      assert.equal(calm.snapshot.reviewersActive, 1);
      assert.equal(calm.snapshot.meanHandleSeconds, 1);
      // Only one process acts at a time: another controller is turned away while the lease is held.
      assert.equal(await runSurgePass(app.engine, { owner: 'another-process' }), null);

      // The flood: 100 items, every tenth from a free-tier customer, every fifteenth a VIP.
      await inBatches(100, (i) => submit(`other flood ${i}`, i % 10 === 0 ? { tier: 'free' } : i % 15 === 1 ? { vip: true } : {}));

      const p1 = await pass();
      assert.equal(p1.changes.length, 1);
      assert.deepEqual([p1.changes[0]!.direction, p1.changes[0]!.action], ['on', 'prioritize']);
      assert.match(p1.changes[0]!.reason, /^forecast wait \d+ s is at or above 100% of the 60 s target \(\d+ waiting/);
      assert.equal(await count(`SELECT count(*)::int AS n FROM tasks WHERE workflow = $1 AND status = 'open' AND surge_boost = 100 AND priority = 100`), 7);
      const vip = await submit('other vip now', { vip: true });
      assert.equal(vip.route.priority, 100);
      assert.ok(vip.route.reasons.some((r) => r.code === 'surge' && r.action === 'prioritize'));

      const usual = await submit('billing-85 before lowering');
      assert.equal(usual.route.route, 'review');
      const p2 = await pass();
      assert.deepEqual([p2.changes[0]!.direction, p2.changes[0]!.action], ['on', 'lowerThresholds']);
      // The floor: the lowest threshold whose accuracy bound stays at 80 % is 0.75; at 0.55 it is not.
      const lowered = p2.changes[0]!.lowered!.billing!;
      assert.equal(lowered.floorThreshold, 0.75);
      assert.ok(lowered.accuracyLower >= floor, `accuracy bound ${lowered.accuracyLower}`);
      assert.deepEqual(p2.changes[0]!.skipped, {});
      const auto85 = await submit('billing-85 during the surge');
      assert.equal(auto85.route.route, 'auto');
      assert.equal(auto85.status, 'decided');
      assert.ok(auto85.route.reasons.some((r) => r.code === 'confident' && r.threshold === 0.75));
      assert.ok(auto85.route.reasons.some((r) => r.code === 'surge' && r.action === 'lowerThresholds'));
      assert.equal((await submit('billing-75 during the surge')).route.route, 'auto');
      // The state is in the database: another process routes by it too.
      const elsewhere = await client(other.url, adminKey).post(`/v1/workflows/${wfName}/items`, { text: 'billing-85 in another process' });
      assert.equal(elsewhere.body.route.route, 'auto');
      // Never below the floor: 0.55 stays with people; and the high-risk label keeps its threshold.
      assert.equal((await submit('billing-55 during the surge')).route.route, 'review');
      const fraud = await submit('fraud-85 during the surge');
      assert.equal(fraud.route.route, 'review');
      assert.ok(fraud.route.reasons.some((r) => r.code === 'below_threshold' && r.threshold === 0.9));

      const p3 = await pass();
      assert.deepEqual([p3.changes[0]!.direction, p3.changes[0]!.action], ['on', 'defer']);
      const deferredNow = await count(`SELECT count(*)::int AS n FROM tasks t JOIN items i ON i.id = t.item_id
        WHERE t.workflow = $1 AND t.deferred AND i.metadata->>'tier' = 'free'`);
      assert.equal(deferredNow, 10);
      assert.equal(await count(`SELECT count(*)::int AS n FROM tasks WHERE workflow = $1 AND deferred`), 10);
      const freeNew = await submit('other free now', { tier: 'free' });
      assert.ok(freeNew.route.reasons.some((r) => r.code === 'surge' && r.action === 'defer'));
      assert.equal(await count(`SELECT count(*)::int AS n FROM tasks WHERE workflow = $1 AND deferred`), 11);

      assert.equal(receiver.got.flatMap((b) => b.events).filter((e) => e.type === 'surge.changed').length, 0, 'nothing is notified before the notify step');
      const p4 = await pass();
      assert.deepEqual([p4.changes[0]!.direction, p4.changes[0]!.action], ['on', 'notify']);
      const notified = await eventually(async () => {
        const e = receiver.got.flatMap((b) => b.events).find((x) => x.type === 'surge.changed');
        return e;
      }, 10_000, 'the surge notification');
      assert.equal(notified.kind, 'surge');
      assert.equal(notified.payload.action, 'notify');
      assert.match(notified.summary, /^Surge in surge-wf: took "notify": forecast wait/);
      assert.deepEqual((await pass()).changes, [], 'every step is taken; nothing more to do');

      // Reviewers work the queue: VIPs first, and no deferred item is claimed while the surge lasts.
      const worked = await drain();
      assert.ok(worked.length > 80);
      assert.ok(worked.slice(0, 8).every((w) => w.metadata.vip === true && w.priority === 100), 'the boosted VIP tasks come first');
      assert.ok(worked.every((w) => w.metadata.tier !== 'free'), 'a deferred item was claimed during the surge');
      assert.equal(await count(`SELECT count(*)::int AS n FROM tasks WHERE workflow = $1 AND deferred AND status = 'open'`), 11);

      // The load falls: one step back per pass, last first, draining what each step releases.
      const back: string[] = [];
      for (let i = 0; i < 12 && back.length < 4; i++) {
        const p = await pass();
        for (const c of p.changes) {
          back.push(`${c.direction} ${c.action}`);
          assert.match(c.reason, /at or below 50% of the 60 s target/);
        }
        if (p.changes.length === 0) await drain();
      }
      assert.deepEqual(back, ['off notify', 'off defer', 'off lowerThresholds', 'off prioritize']);
      assert.equal(await count(`SELECT count(*)::int AS n FROM tasks WHERE workflow = $1 AND (deferred OR surge_boost <> 0)`), 0);
      const freed = await drain();
      assert.equal(freed.filter((w) => w.metadata.tier === 'free').length, 11, 'the deferred items are claimable again');
      // Routing is back to usual.
      assert.equal((await submit('billing-85 after the surge')).route.route, 'review');
      assert.equal((await submit('other vip after', { vip: true })).route.priority, 0);

      // The API tells the story, newest first, each change with its reason.
      const view = await admin.get(`/v1/workflows/${wfName}/surge`);
      assert.equal(view.status, 200);
      assert.deepEqual(view.body.active, []);
      assert.deepEqual(view.body.order, ['prioritize', 'lowerThresholds', 'defer', 'notify']);
      assert.equal(view.body.targetWaitSeconds, 60);
      assert.equal(typeof view.body.measured.forecast.waitSeconds, 'number');
      const history = (view.body.history as Array<Record<string, any>>).slice().reverse();
      assert.deepEqual(history.map((h) => `${h.direction} ${h.action}`), [
        'on prioritize', 'on lowerThresholds', 'on defer', 'on notify', 'off notify', 'off defer', 'off lowerThresholds', 'off prioritize',
      ]);
      for (const h of history) assert.match(h.reason, /^(with the \d+ deferred tasks back in the queue, )?forecast wait /);
      assert.match(history[5]!.reason, /^with the 11 deferred tasks back in the queue/);
      assert.deepEqual(history[1]!.thresholds.billing, { from: 0.9, to: 0.75, floorThreshold: 0.75 });
      assert.equal(history[2]!.tasksDeferred, 10);
      assert.equal(history[5]!.tasksReleased, 11);
      // The all-clear of notify is sent too; steps taken before notify were not.
      await eventually(async () => (receiver.got.flatMap((b) => b.events).some((e) => e.type === 'surge.changed' && e.payload.direction === 'off') ? true : undefined), 10_000, 'the easing notification');
      const surgeMessages = receiver.got.flatMap((b) => b.events).filter((e) => e.type === 'surge.changed').map((e) => `${e.payload.direction} ${e.payload.action}`);
      assert.deepEqual(surgeMessages, ['on notify', 'off notify']);
      assert.equal(receiver.got.flatMap((b) => b.events).filter((e) => e.kind === 'urgent_task').length, 0, 'boosted tasks are not urgent-task messages of their own');
    });

    test('two controllers deciding at once on the same state write one change between them', async () => {
      const spec = labelWorkflow('race-wf', { model: { type: 'http', url: scorer.url, timeoutMs: 2000 }, surge: { order: ['notify'], targetWaitSeconds: 60, holdSeconds: 0 } });
      assert.equal((await admin.post('/v1/workflows', spec)).status, 201);
      // Work waits and nobody works the workflow: the forecast is unbounded.
      assert.equal((await admin.post('/v1/workflows/race-wf/items', { text: 'anyone there' })).status, 201);
      const o = { windowSeconds: 300, activeSeconds: 600, now: Date.now };
      const [a, b] = await Promise.all([
        controlWorkflow(app.engine, await app.engine.workflows.get(t.db, 'race-wf'), o),
        controlWorkflow(other.engine, await other.engine.workflows.get(t.db, 'race-wf'), o),
      ]);
      assert.ok([a, b].some((p) => p.written && p.changes.length === 1));
      const events = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE workflow = 'race-wf' AND type = 'surge.changed'`);
      assert.equal(events[0]!.n, 1);
      assert.deepEqual((await admin.get('/v1/workflows/race-wf/surge')).body.active, ['notify']);
    });

    test('the surge view: 404 for an unknown workflow, 400 for a bad limit, and a workflow without a policy says so', async () => {
      assert.equal((await admin.get('/v1/workflows/nope/surge')).status, 404);
      const bad = await admin.get(`/v1/workflows/${wfName}/surge?limit=0`);
      assert.equal(bad.status, 400);
      assert.equal(bad.headers.get('content-type')?.startsWith('application/problem+json'), true);
      assert.equal((await admin.post('/v1/workflows', labelWorkflow('plain'))).status, 201);
      const plain = await admin.get('/v1/workflows/plain/surge');
      assert.equal(plain.status, 200);
      assert.equal(plain.body.configured, false);
      assert.deepEqual(plain.body.history, []);
      const invalid = await admin.post('/v1/workflows', labelWorkflow('bad-surge', { surge: { order: ['defer'], exitAt: 2 } }));
      assert.equal(invalid.status, 400);
      assert.match(JSON.stringify(invalid.body), /surge\.defer/);
      assert.match(JSON.stringify(invalid.body), /flap/);
      const spec = (await admin.get('/v1/openapi.json')).body;
      assert.ok(spec.paths['/v1/workflows/{name}/surge']?.get, 'the route is in the OpenAPI document');
    });
  });
}
