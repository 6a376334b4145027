// The engine end to end over HTTP, on both drivers: routing, queues and leases, consensus,
// audits, corrections, the audit trail, events, long polls, background jobs and access rules.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapAdmin } from '../src/engine/access.ts';
import { tick } from '../src/engine/timekeeper.ts';
import { migrate } from '../src/store/migrate.ts';
import { adminKey, client, drivers, eventually, freshDb, labelWorkflow, person, startApp, type TestApp, type TestDb } from './harness.ts';
import { startScorer, type Scorer } from './scorer.ts';

for (const driver of drivers) {
  describe(`engine on ${driver}`, () => {
    let t: TestDb;
    let app: TestApp;
    let scorer: Scorer;
    let admin: ReturnType<typeof client>;

    before(async () => {
      t = await freshDb(driver);
      app = await startApp(t.db);
      scorer = await startScorer({ kind: 'labels', labels: { billing: 0.95, bug: 0.03, fraud: 0.01, other: 0.01 }, explanation: ['invoice'] });
      admin = client(app.url, adminKey);
    });
    after(async () => {
      await app.close();
      await scorer.close();
      await t.drop();
    });

    const http = (extra: Record<string, unknown> = {}) => ({ type: 'http', url: scorer.url, timeoutMs: 500, ...extra });
    const count = async (sql: string, params: unknown[] = []) => ((await t.db.query<{ n: number }>(sql, params))[0]?.n ?? -1);
    const claim = (token: string, body: Record<string, unknown>) => client(app.url, token).post('/v1/tasks/claim', body);

    test('workflows are created, listed, read and changed; bad specs name the field', async () => {
      const created = await admin.post('/v1/workflows', labelWorkflow('wf-crud'));
      assert.equal(created.status, 201);
      assert.equal(created.body.version, 1);
      assert.equal(created.body.policy.threshold, 0.9);
      assert.equal((await admin.post('/v1/workflows', labelWorkflow('wf-crud'))).status, 409);
      const list = await admin.get('/v1/workflows');
      assert.ok(list.body.workflows.some((w: { name: string }) => w.name === 'wf-crud'));
      const changed = await admin.put('/v1/workflows/wf-crud', labelWorkflow('wf-crud', { slaSeconds: 60 }));
      assert.equal(changed.status, 200);
      assert.equal(changed.body.version, 2);
      assert.equal((await admin.get('/v1/workflows/wf-crud')).body.slaSeconds, 60);
      const bad = await admin.post('/v1/workflows', labelWorkflow('wf-bad', { policy: { rules: ['amount >'] } }));
      assert.equal(bad.status, 400);
      assert.equal(bad.body.errors[0].path, 'policy.rules.0');
      const badLabels = await admin.post('/v1/workflows', { name: 'wf-bad', answerType: 'label', labels: ['only-one'] });
      assert.equal(badLabels.status, 400);
      assert.equal(badLabels.body.errors[0].path, 'labels');
      const reviewer = await person(t.db, 'reviewer', ['wf-crud']);
      assert.equal((await client(app.url, reviewer.token).post('/v1/workflows', labelWorkflow('wf-x'))).status, 403);
    });

    test('a confident machine decides at once; the item history shows prediction, route and decision', async () => {
      await admin.post('/v1/workflows', labelWorkflow('wf-auto', { model: http() }));
      const r = await admin.post('/v1/workflows/wf-auto/items', { text: 'my invoice is wrong', metadata: { segment: 'smb' } });
      assert.equal(r.status, 201);
      assert.equal(r.body.status, 'decided');
      assert.equal(r.body.route.route, 'auto');
      assert.deepEqual(r.body.route.reasons, [{ code: 'confident', label: 'billing', confidence: 0.95, threshold: 0.9 }]);
      const item = await admin.get(`/v1/items/${r.body.id}`);
      assert.equal(item.body.prediction.label, 'billing');
      assert.deepEqual(item.body.prediction.explanation, ['invoice']);
      assert.equal(item.body.decision.source, 'machine');
      assert.deepEqual(item.body.decision.outcome, { type: 'label', label: 'billing' });
      assert.equal(item.body.tasks.length, 0);
      assert.deepEqual(item.body.events.map((e: { type: string }) => e.type), ['item.routed', 'decision.made']);
      const d = await admin.get(`/v1/items/${r.body.id}/decision`);
      assert.equal(d.body.status, 'decided');
      assert.deepEqual(scorer.received.at(-1)?.labels, ['billing', 'bug', 'fraud', 'other']);
    });

    test('low confidence goes to a person; the answer becomes the decision, with the whole trail', async () => {
      scorer.behave.set('unsure', { kind: 'labels', labels: { billing: 0.5, bug: 0.5 } });
      await admin.post('/v1/workflows', labelWorkflow('wf-review', { model: http() }));
      const r = await admin.post('/v1/workflows/wf-review/items', { text: 'unsure what this is' });
      assert.equal(r.body.route.route, 'review');
      assert.equal(r.body.route.reasons[0].code, 'below_threshold');
      const rev = await person(t.db, 'reviewer', ['wf-review']);
      const c = await claim(rev.token, { workflow: 'wf-review' });
      assert.equal(c.status, 200);
      assert.equal(c.body.item.id, r.body.id);
      assert.equal(c.body.item.text, 'unsure what this is');
      assert.equal(c.body.task.assignment, 1);
      const a = await client(app.url, rev.token).post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: 1, label: 'bug', timeSpentMs: 1200, note: 'stack trace in text' });
      assert.equal(a.status, 200);
      assert.equal(a.body.decision.source, 'human');
      const item = await admin.get(`/v1/items/${r.body.id}`);
      assert.equal(item.body.status, 'decided');
      assert.equal(item.body.answers[0].timeSpentMs, 1200);
      assert.equal(item.body.answers[0].reviewerId, rev.id);
      assert.equal(item.body.decisions[0].actor, `reviewer:${rev.email}`);
      assert.deepEqual(item.body.events.map((e: { type: string }) => e.type), ['item.routed', 'task.created', 'task.claimed', 'task.answered', 'decision.made']);
      assert.equal((await claim(rev.token, { workflow: 'wf-review' })).status, 204);
    });

    test('a failing model never loses an item: 500, garbage and timeouts go to people with the reason', async () => {
      scorer.behave.set('explode', { kind: 'status', status: 500 });
      scorer.behave.set('nonsense', { kind: 'garbage' });
      scorer.behave.set('sleepy', { kind: 'slow', ms: 1500 });
      await admin.post('/v1/workflows', labelWorkflow('wf-flaky', { model: http({ timeoutMs: 200 }) }));
      const unreachable = labelWorkflow('wf-down', { model: { type: 'http', url: 'http://127.0.0.1:9/score', timeoutMs: 300 } });
      await admin.post('/v1/workflows', unreachable);
      for (const [wf, text, pattern] of [
        ['wf-flaky', 'explode', /HTTP 500/],
        ['wf-flaky', 'nonsense', /not \{"labels"/],
        ['wf-flaky', 'sleepy', /within 200 ms/],
        ['wf-down', 'anything', /unreachable/],
      ] as const) {
        const r = await admin.post(`/v1/workflows/${wf}/items`, { text });
        assert.equal(r.status, 201, text);
        assert.equal(r.body.route.route, 'review', text);
        assert.equal(r.body.route.reasons[0].code, 'model_error');
        assert.match(r.body.route.reasons[0].message, pattern);
        assert.equal(await count(`SELECT count(*)::int AS n FROM tasks WHERE item_id = $1::uuid AND status = 'open'`, [r.body.id]), 1);
      }
    });

    test('rules force escalation to leads and demand skills; claims honour priority then due time', async () => {
      await admin.post('/v1/workflows', labelWorkflow('wf-rules', {
        model: http(),
        policy: {
          rules: [
            { when: 'amount > 500', action: 'escalate', name: 'large amount' },
            { when: 'language == "de"', action: 'review', skills: ['german'], priority: 5 },
            { when: 'segment == "vip"', action: 'review', priority: 10 },
          ],
        },
      }));
      const big = await admin.post('/v1/workflows/wf-rules/items', { text: 'refund please', fields: { amount: 900 } });
      assert.equal(big.body.route.route, 'escalate');
      assert.deepEqual(big.body.route.reasons.map((r: { code: string }) => r.code), ['confident', 'rule']);
      const german = await admin.post('/v1/workflows/wf-rules/items', { text: 'rechnung falsch', metadata: { language: 'de' } });
      const vip = await admin.post('/v1/workflows/wf-rules/items', { text: 'invoice', metadata: { segment: 'vip' } });
      assert.equal(german.body.route.route, 'review');
      assert.deepEqual(german.body.route.skills, ['german']);

      const plain = await person(t.db, 'reviewer', ['wf-rules']);
      const first = await claim(plain.token, { workflow: 'wf-rules' });
      assert.equal(first.body.item.id, vip.body.id, 'the vip item has the highest priority');
      assert.equal((await claim(plain.token, { workflow: 'wf-rules' })).status, 204, 'no german skill, no escalations');
      const speaker = await person(t.db, 'reviewer', ['wf-rules'], ['german']);
      assert.equal((await claim(speaker.token, { workflow: 'wf-rules' })).body.item.id, german.body.id);
      const lead = await person(t.db, 'lead', ['wf-rules']);
      const esc = await claim(lead.token, { workflow: 'wf-rules' });
      assert.equal(esc.body.item.id, big.body.id);
      assert.equal(esc.body.task.kind, 'escalation');
      assert.equal(esc.body.task.queue, 'escalation');
      const a = await client(app.url, lead.token).post(`/v1/tasks/${esc.body.task.id}/answer`, { assignment: esc.body.task.assignment, label: 'fraud' });
      assert.equal(a.body.decision.source, 'lead');
    });

    test('heartbeat extends a lease, release returns the task, escalate hands it to leads', async () => {
      await admin.post('/v1/workflows', labelWorkflow('wf-lease'));
      const item = await admin.post('/v1/workflows/wf-lease/items', { text: 'hello' });
      const rev = await person(t.db, 'reviewer', ['wf-lease']);
      const rc = client(app.url, rev.token);
      const c = await claim(rev.token, { workflow: 'wf-lease', leaseSeconds: 30 });
      const before = Date.parse(c.body.task.leaseExpiresAt);
      const hb = await rc.post(`/v1/tasks/${c.body.task.id}/heartbeat`, { assignment: 1, leaseSeconds: 600 });
      assert.equal(hb.status, 200);
      assert.ok(Date.parse(hb.body.leaseExpiresAt) > before + 500_000);
      const rel = await rc.post(`/v1/tasks/${c.body.task.id}/release`, { assignment: 1 });
      assert.equal(rel.body.status, 'open');
      assert.equal((await rc.post(`/v1/tasks/${c.body.task.id}/heartbeat`, { assignment: 1 })).status, 409);
      const again = await claim(rev.token, { workflow: 'wf-lease' });
      assert.equal(again.body.task.id, c.body.task.id);
      assert.equal(again.body.task.assignment, 2);
      const stale = await rc.post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: 1, label: 'bug' });
      assert.equal(stale.status, 409);
      assert.match(stale.body.detail, /stale/);
      const esc = await rc.post(`/v1/tasks/${c.body.task.id}/escalate`, { assignment: 2, reason: 'legal threat' });
      assert.equal(esc.status, 200);
      const history = await admin.get(`/v1/items/${item.body.id}`);
      const kinds = history.body.tasks.map((x: { kind: string; status: string }) => `${x.kind}:${x.status}`);
      assert.deepEqual(kinds, ['review:escalated', 'escalation:open']);
      assert.equal(history.body.tasks[1].reason, 'legal threat');
    });

    test('expired leases come back through the background job; the old assignment is refused', async () => {
      await admin.post('/v1/workflows', labelWorkflow('wf-expiry'));
      await admin.post('/v1/workflows/wf-expiry/items', { text: 'hello' });
      const rev = await person(t.db, 'reviewer', ['wf-expiry']);
      const c = await claim(rev.token, { workflow: 'wf-expiry' });
      // Time travel instead of sleeping out a lease: the job compares with now().
      await t.db.query(`UPDATE tasks SET lease_expires_at = now() - interval '1 second' WHERE id = $1::uuid`, [c.body.task.id]);
      const r = await tick(t.db);
      assert.equal(r.ran, true);
      assert.ok(r.expired >= 1);
      const other = await person(t.db, 'reviewer', ['wf-expiry']);
      const c2 = await claim(other.token, { workflow: 'wf-expiry' });
      assert.equal(c2.body.task.id, c.body.task.id);
      assert.equal((await client(app.url, rev.token).post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: c.body.task.assignment, label: 'bug' })).status, 409);
      assert.equal((await client(app.url, other.token).post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: c2.body.task.assignment, label: 'bug' })).status, 200);
      assert.equal(await count(`SELECT count(*)::int AS n FROM events WHERE task_id = $1::uuid AND type = 'task.lease_expired'`, [c.body.task.id]), 1);
    });

    test('overdue tasks raise one task.overdue event each', async () => {
      await admin.post('/v1/workflows', labelWorkflow('wf-sla', { slaSeconds: 60 }));
      const r = await admin.post('/v1/workflows/wf-sla/items', { text: 'hello' });
      await t.db.query(`UPDATE tasks SET due_at = now() - interval '1 second' WHERE item_id = $1::uuid`, [r.body.id]);
      await tick(t.db);
      await tick(t.db);
      assert.equal(await count(`SELECT count(*)::int AS n FROM events WHERE item_id = $1::uuid AND type = 'task.overdue'`, [r.body.id]), 1);
    });

    test('consensus: a majority decides, distinct reviewers only, disagreement escalates', async () => {
      await admin.post('/v1/workflows', labelWorkflow('wf-vote', { consensus: { answers: 3, rule: 'majority' } }));
      const agreed = await admin.post('/v1/workflows/wf-vote/items', { text: 'first' });
      const people = await Promise.all([0, 1, 2].map(() => person(t.db, 'reviewer', ['wf-vote'])));
      const vote = async (p: { token: string }, label: string) => {
        const c = await claim(p.token, { workflow: 'wf-vote' });
        assert.equal(c.status, 200);
        return client(app.url, p.token).post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: c.body.task.assignment, label });
      };
      const v1 = await vote(people[0]!, 'bug');
      assert.equal(v1.body.decision, null);
      assert.equal((await claim(people[0]!.token, { workflow: 'wf-vote' })).status, 204, 'one vote per person per item');
      await vote(people[1]!, 'billing');
      const v3 = await vote(people[2]!, 'bug');
      assert.equal(v3.body.decision.source, 'consensus');
      assert.deepEqual(v3.body.decision.outcome, { type: 'label', label: 'bug' });
      assert.equal((await admin.get(`/v1/items/${agreed.body.id}`)).body.status, 'decided');

      const split = await admin.post('/v1/workflows/wf-vote/items', { text: 'second' });
      await vote(people[0]!, 'bug');
      await vote(people[1]!, 'billing');
      const last = await vote(people[2]!, 'other');
      assert.equal(last.body.decision, null);
      assert.ok(last.body.escalationTaskId);
      const history = await admin.get(`/v1/items/${split.body.id}`);
      assert.equal(history.body.status, 'pending');
      assert.ok(history.body.events.some((e: { type: string }) => e.type === 'consensus.disagreed'));
      const lead = await person(t.db, 'lead', ['wf-vote']);
      const esc = await claim(lead.token, { workflow: 'wf-vote' });
      assert.equal(esc.body.task.id, last.body.escalationTaskId);
      const ruling = await client(app.url, lead.token).post(`/v1/tasks/${esc.body.task.id}/answer`, { assignment: 1, label: 'billing' });
      assert.equal(ruling.body.decision.source, 'lead');
    });

    test('unanimous consensus escalates on any disagreement', async () => {
      await admin.post('/v1/workflows', labelWorkflow('wf-unan', { consensus: { answers: 2, rule: 'unanimous' } }));
      await admin.post('/v1/workflows/wf-unan/items', { text: 'x' });
      const [p1, p2] = await Promise.all([0, 1].map(() => person(t.db, 'reviewer', ['wf-unan'])));
      for (const [p, label] of [[p1!, 'bug'], [p2!, 'billing']] as const) {
        const c = await claim(p.token, { workflow: 'wf-unan' });
        const a = await client(app.url, p.token).post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: 1, label });
        if (p === p2) assert.ok(a.body.escalationTaskId);
      }
    });

    test('audits: a sampled machine decision is confirmed, or overturned by a superseding version', async () => {
      await admin.post('/v1/workflows', labelWorkflow('wf-audit', { model: http(), policy: { auditRate: 1 } }));
      const ok = await admin.post('/v1/workflows/wf-audit/items', { text: 'invoice one' });
      const wrong = await admin.post('/v1/workflows/wf-audit/items', { text: 'invoice two' });
      assert.equal(ok.body.status, 'decided');
      assert.equal(ok.body.route.audit, true);
      const rev = await person(t.db, 'reviewer', ['wf-audit']);
      const answerNext = async (label: string) => {
        const c = await claim(rev.token, { workflow: 'wf-audit' });
        assert.equal(c.body.task.kind, 'audit');
        return client(app.url, rev.token).post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: 1, label });
      };
      const confirm = await answerNext('billing');
      assert.equal(confirm.body.decision, null);
      const overturn = await answerNext('fraud');
      assert.equal(overturn.body.decision.version, 2);
      const h = await admin.get(`/v1/items/${overturn.body.task.itemId}`);
      assert.equal(h.body.decisions.length, 2);
      assert.equal(h.body.decisions[1].supersedes, h.body.decisions[0].id);
      assert.equal(h.body.decision.outcome.label, 'fraud');
      assert.ok(h.body.events.some((e: { type: string }) => e.type === 'audit.overturned'));
      const confirmed = await admin.get(`/v1/items/${confirm.body.task.itemId}`);
      assert.ok(confirmed.body.events.some((e: { type: string }) => e.type === 'audit.confirmed'));
      assert.equal(confirmed.body.decisions.length, 1);
      assert.ok([ok.body.id, wrong.body.id].includes(confirm.body.task.itemId));
    });

    test('a lead corrects a decision with a new version; decisions themselves never change', async () => {
      await admin.post('/v1/workflows', labelWorkflow('wf-correct', { model: http() }));
      const r = await admin.post('/v1/workflows/wf-correct/items', { text: 'invoice' });
      const rev = await person(t.db, 'reviewer', ['wf-correct']);
      const lead = await person(t.db, 'lead', ['wf-correct']);
      const body = { label: 'fraud', reason: 'customer reported the card stolen' };
      assert.equal((await client(app.url, rev.token).post(`/v1/items/${r.body.id}/decisions`, body)).status, 403);
      const c = await client(app.url, lead.token).post(`/v1/items/${r.body.id}/decisions`, body);
      assert.equal(c.status, 201);
      assert.equal(c.body.version, 2);
      assert.equal(c.body.source, 'lead');
      assert.equal((await client(app.url, lead.token).post(`/v1/items/${r.body.id}/decisions`, { label: 'nope', reason: 'x' })).status, 400);
      await assert.rejects(t.db.query(`UPDATE decisions SET reason = 'tampered' WHERE item_id = $1::uuid`, [r.body.id]), /immutable/);
      await assert.rejects(t.db.query(`DELETE FROM decisions WHERE item_id = $1::uuid`, [r.body.id]), /immutable/);
      const d = await admin.get(`/v1/items/${r.body.id}/decision`);
      assert.equal(d.body.decision.outcome.label, 'fraud');
    });

    test('a client long-polling for a decision is woken when a person decides', async () => {
      await admin.post('/v1/workflows', labelWorkflow('wf-wait'));
      const r = await admin.post('/v1/workflows/wf-wait/items', { text: 'waiting' });
      const pending = await admin.get(`/v1/items/${r.body.id}/decision?wait=0.2`);
      assert.equal(pending.body.status, 'pending');
      const started = Date.now();
      const waiting = admin.get(`/v1/items/${r.body.id}/decision?wait=20`);
      const rev = await person(t.db, 'reviewer', ['wf-wait']);
      await new Promise((res) => setTimeout(res, 200));
      const c = await claim(rev.token, { workflow: 'wf-wait' });
      await client(app.url, rev.token).post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: 1, label: 'other' });
      const done = await waiting;
      assert.equal(done.body.status, 'decided');
      assert.equal(done.body.decision.outcome.label, 'other');
      assert.ok(Date.now() - started < 5000, 'woken by the decision, not by the timeout');
    });

    test('access: keys are scoped to workflows, people see only their workflows\' queues', async () => {
      await admin.post('/v1/workflows', labelWorkflow('wf-a'));
      await admin.post('/v1/workflows', labelWorkflow('wf-b'));
      const key = await admin.post('/v1/keys', { name: 'svc-a', workflows: ['wf-a'] });
      assert.equal(key.status, 201);
      assert.match(key.body.key, /^tdm_key_/);
      assert.equal(await count('SELECT count(*)::int AS n FROM api_keys WHERE key_hash = $1::text', [key.body.key]), 0, 'the key itself is not stored');
      const svc = client(app.url, key.body.key);
      const inA = await svc.post('/v1/workflows/wf-a/items', { text: 'a' });
      assert.equal(inA.status, 201);
      assert.equal((await svc.post('/v1/workflows/wf-b/items', { text: 'b' })).status, 403);
      const inB = await admin.post('/v1/workflows/wf-b/items', { text: 'b' });
      assert.equal((await svc.get(`/v1/items/${inB.body.id}`)).status, 404);
      assert.equal((await svc.get(`/v1/items/${inA.body.id}`)).status, 200);
      assert.deepEqual((await svc.get('/v1/workflows')).body.workflows.map((w: { name: string }) => w.name), ['wf-a']);
      assert.equal((await svc.post('/v1/tasks/claim', {})).status, 403, 'keys do not work tasks');

      const rev = await person(t.db, 'reviewer', ['wf-a']);
      assert.equal((await claim(rev.token, { workflow: 'wf-b' })).status, 404);
      const c = await claim(rev.token, {});
      assert.equal(c.body.task.workflow, 'wf-a');
      const queues = await client(app.url, rev.token).get('/v1/queues');
      assert.ok(queues.body.queues.every((q: { workflow: string }) => q.workflow === 'wf-a'));
      assert.equal((await client(app.url, rev.token).get(`/v1/items/${inB.body.id}`)).status, 404);

      const revoked = await admin.del(`/v1/keys/${key.body.id}`);
      assert.equal(revoked.status, 204);
      assert.equal((await client(app.url, 'tdm_key_nonsense').get('/v1/workflows')).status, 401);
      assert.equal((await client(app.url, null).get('/v1/workflows')).status, 401);
    });

    test('sign-in gives a session; wrong passwords do not; sign-out ends it', async () => {
      await admin.post('/v1/reviewers', { email: 'sam@example.com', password: 'long enough pw', workflows: ['wf-a'] });
      const anon = client(app.url, null);
      assert.equal((await anon.post('/v1/sessions', { email: 'sam@example.com', password: 'wrong password' })).status, 401);
      const s = await anon.post('/v1/sessions', { email: 'sam@example.com', password: 'long enough pw' });
      assert.equal(s.status, 201);
      const me = await client(app.url, s.body.token).get('/v1/me');
      assert.equal(me.body.reviewer.email, 'sam@example.com');
      assert.doesNotMatch(JSON.stringify(me.body), /scrypt/);
      assert.equal((await client(app.url, s.body.token).del('/v1/sessions/current')).status, 204);
      assert.equal((await client(app.url, s.body.token).get('/v1/me')).status, 401);
    });

    test('the first start makes one admin and shows its password once; migrations re-run as no-ops', async () => {
      const fresh = await freshDb(driver);
      try {
        const first = await bootstrapAdmin(fresh.db);
        assert.ok(first && first.password.length >= 12);
        assert.equal(await bootstrapAdmin(fresh.db), null);
        assert.deepEqual(await migrate(fresh.db), []);
        const stored = await fresh.db.query<{ password_hash: string }>(`SELECT password_hash FROM reviewers WHERE email = 'admin'`);
        assert.match(stored[0]!.password_hash, /^scrypt\$/);
        assert.ok(!stored[0]!.password_hash.includes(first.password));
      } finally {
        await fresh.drop();
      }
    });

    test('every state change is in the outbox, written with the change', async () => {
      const before = await count('SELECT count(*)::int AS n FROM events');
      const r = await admin.post('/v1/workflows/wf-a/items', { text: 'outbox' });
      const after = await count('SELECT count(*)::int AS n FROM events');
      assert.equal(after - before, 2);
      const types = await t.db.query<{ type: string }>('SELECT type FROM events WHERE item_id = $1::uuid ORDER BY id', [r.body.id]);
      assert.deepEqual(types.map((x) => x.type), ['item.routed', 'task.created']);
    });
  });
}

describe('background jobs run in one process at a time', () => {
  test('a tick while another holds the job lock does nothing', async () => {
    const t = await freshDb('postgres');
    try {
      const { openDb } = await import('../src/store/db.ts');
      const other = await openDb({ url: t.url! });
      try {
        let release!: () => void;
        const held = new Promise<void>((r) => (release = r));
        let locked!: () => void;
        const isLocked = new Promise<void>((r) => (locked = r));
        const holder = other.transaction(async (tx) => {
          await tx.query('SELECT pg_advisory_xact_lock(7201002)');
          locked();
          await held;
        });
        await isLocked;
        assert.equal((await tick(t.db)).ran, false);
        release();
        await holder;
        assert.equal((await tick(t.db)).ran, true);
      } finally {
        await other.close();
      }
    } finally {
      await t.drop();
    }
  });
});

describe('rate limit per key', () => {
  test('past the limit, 429 as a problem document with Retry-After', async () => {
    const t = await freshDb('pglite');
    const app = await startApp(t.db, { server: { rateLimitPerMinute: 5 } });
    try {
      const c = client(app.url);
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await c.get('/v1/workflows')).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
      const limited = await c.get('/v1/workflows');
      assert.equal(limited.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.ok(limited.headers.get('retry-after'));
      const other = client(app.url, 'tdm_key_someone_else');
      assert.equal((await other.get('/v1/workflows')).status, 401, 'another key has its own budget');
    } finally {
      await app.close();
      await t.drop();
    }
  });
});

describe('the LISTEN connection on a Postgres server', () => {
  test('comes back by itself when it drops, and long polls are woken by decisions again', async () => {
    const t = await freshDb('postgres');
    const app = await startApp(t.db);
    try {
      const admin = client(app.url, adminKey);
      await admin.post('/v1/workflows', labelWorkflow('wf-listen'));
      const listenerPid = async () =>
        (await t.db.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`))[0]?.pid;
      const first = await listenerPid();
      assert.ok(first, 'a connection is listening');
      await t.db.query('SELECT pg_terminate_backend($1::int)', [first]);
      const second = await eventually(async () => {
        const pid = await listenerPid();
        return pid !== undefined && pid !== first ? pid : undefined;
      }, 10_000, 'a new LISTEN connection');
      assert.notEqual(second, first);

      const r = await admin.post('/v1/workflows/wf-listen/items', { text: 'after the drop' });
      const started = Date.now();
      const waiting = admin.get(`/v1/items/${r.body.id}/decision?wait=20`);
      const rev = await person(t.db, 'reviewer', ['wf-listen']);
      await new Promise((res) => setTimeout(res, 100));
      const c = await client(app.url, rev.token).post('/v1/tasks/claim', { workflow: 'wf-listen' });
      await client(app.url, rev.token).post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: 1, label: 'bug' });
      const done = await waiting;
      assert.equal(done.body.status, 'decided');
      // Woken by the notification: the fallback re-read comes only every 5 s.
      assert.ok(Date.now() - started < 4000, `woken after ${Date.now() - started} ms`);
    } finally {
      await app.close();
      await t.drop();
    }
  });
});
