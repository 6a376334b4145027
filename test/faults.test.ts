// Faults, each a test, on a PostgreSQL cluster the test creates for itself (a temporary folder,
// a port of its own): a serving process killed with SIGKILL mid-load; Postgres restarted
// mid-load (fast and immediate) and stopped outright; a read-only database; a full disk; a
// webhook receiver and the model endpoint down at the same time.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { adminKey, client, eventually, freePort, freshDb, labelWorkflow, readEventStream, signedInReviewer, startApp, type Res } from './harness.ts';
import { createCluster, type Cluster } from './pgCluster.ts';
import { startServe, stopAll, type ServeProcess } from './serveProcess.ts';
import { openDb, type Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { startWebhookDispatcher } from '../src/engine/webhooks.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A 503 as the API must give it when the database is in trouble: problem+json, Retry-After, no internals. */
function assertUnavailable(res: Res, detail: RegExp = /database/): void {
  assert.equal(res.status, 503, JSON.stringify(res.body));
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.ok(Number(res.headers.get('retry-after')) > 0, 'Retry-After says when to come back');
  assert.match(res.body.detail, detail);
  assert.doesNotMatch(JSON.stringify(res.body), /\.ts:\d|node_modules|at async|stack/i, 'no stack trace or internals');
}

/**
 * Every item of the workflow whole, whatever happened mid-flight: its route written with its
 * outbox event and its task, a decided item with exactly one decision, a task with at most one
 * answer (done ones exactly one), no decision more than the answers that made it.
 */
async function brokenItems(db: Db, workflow: string): Promise<Record<string, number>> {
  const [row] = await db.query<Record<string, number>>(
    `SELECT
       (SELECT count(*)::int FROM items i WHERE i.workflow = $1
          AND (SELECT count(*) FROM events e WHERE e.item_id = i.id AND e.type = 'item.routed') <> 1) AS routed_not_once,
       (SELECT count(*)::int FROM items i WHERE i.workflow = $1 AND i.route->>'route' = 'review'
          AND (SELECT count(*) FROM tasks t WHERE t.item_id = i.id) <> 1) AS review_without_one_task,
       (SELECT count(*)::int FROM tasks t WHERE t.workflow = $1
          AND (SELECT count(*) FROM events e WHERE e.task_id = t.id AND e.type = 'task.created') <> 1) AS task_created_not_once,
       (SELECT count(*)::int FROM items i WHERE i.workflow = $1 AND i.status = 'decided'
          AND (SELECT count(*) FROM decisions d WHERE d.item_id = i.id) <> 1) AS decided_not_once,
       (SELECT count(*)::int FROM items i WHERE i.workflow = $1 AND i.status = 'pending'
          AND EXISTS (SELECT 1 FROM decisions d WHERE d.item_id = i.id)) AS pending_with_decision,
       (SELECT count(*)::int FROM tasks t WHERE t.workflow = $1
          AND (SELECT count(*) FROM answers a WHERE a.task_id = t.id) <> (CASE WHEN t.status = 'done' THEN 1 ELSE 0 END)) AS task_answers_wrong,
       (SELECT count(*)::int FROM items i WHERE i.workflow = $1
          AND (SELECT count(*) FROM decisions d WHERE d.item_id = i.id AND d.source <> 'machine') > (SELECT count(*) FROM answers a WHERE a.item_id = i.id)) AS more_decisions_than_answers`,
    [workflow],
  );
  return row!;
}

const whole = { routed_not_once: 0, review_without_one_task: 0, task_created_not_once: 0, decided_not_once: 0, pending_with_decision: 0, task_answers_wrong: 0, more_decisions_than_answers: 0 };

interface Load {
  /** Idempotency key → the item id every successful answer named. */
  accepted: Map<string, string>;
  statuses: Map<string, number>;
  unavailable: Res[];
  /** The slowest 503, in ms: failing fast means no request hangs on a dead database. */
  slowest503: number;
  answered: number;
  stop(): Promise<void>;
}

/**
 * Submitters (each item with an idempotency key, retried on the other process after a refusal
 * or a broken connection) and reviewers (claim, answer; an answer whose response was lost is
 * sent again through the other process). `processes()` are the ones to use at the moment.
 */
function startLoad(workflow: string, processes: () => ServeProcess[], tokens: string[], prefix: string): Load {
  const load: Load = { accepted: new Map(), statuses: new Map(), unavailable: [], slowest503: 0, answered: 0, stop: async () => {} };
  let stopping = false;
  const count = (what: string) => load.statuses.set(what, (load.statuses.get(what) ?? 0) + 1);
  const pick = (n: number) => {
    const live = processes();
    return live[n % live.length]!;
  };
  const send = async <T>(n: number, call: (base: string) => Promise<Res<T>>, what: string): Promise<Res<T>> => {
    for (let attempt = n; ; attempt++) {
      const started = performance.now();
      try {
        const res = await call(pick(attempt).url);
        count(`${what} ${res.status}`);
        if (res.status !== 503) return res;
        load.slowest503 = Math.max(load.slowest503, performance.now() - started);
        load.unavailable.push(res);
      } catch {
        count(`${what} connection lost`);
      }
      await sleep(50);
    }
  };
  const submitters = Array.from({ length: 4 }, async (_, lane) => {
    for (let i = 0; !stopping; i++) {
      const key = `${prefix}-${lane}-${i}`;
      const res = await send(lane + i, (base) => client(base).post<{ id: string }>(`/v1/workflows/${workflow}/items`, { text: `message ${key}` }, { 'Idempotency-Key': key }), 'submit');
      assert.ok(res.status === 201 || res.status === 200, `submit ${key}: ${res.status} ${JSON.stringify(res.body)}`);
      const before = load.accepted.get(key);
      assert.ok(before === undefined || before === res.body.id, 'a key always names the same item');
      load.accepted.set(key, res.body.id);
      await sleep(10);
    }
  });
  const reviewers = tokens.map(async (token, r) => {
    for (let round = 0; !stopping; round++) {
      const claim = await send(r + round, (base) => client(base, token).post<{ task: { id: string; assignment: number } }>('/v1/tasks/claim', { workflow, leaseSeconds: 5 }), 'claim');
      if (claim.status === 204) {
        await sleep(30);
        continue;
      }
      assert.equal(claim.status, 200, JSON.stringify(claim.body));
      const { id, assignment } = claim.body.task;
      const ans = await send(r + round, (base) => client(base, token).post(`/v1/tasks/${id}/answer`, { assignment, label: 'other' }), 'answer');
      // 409: the first attempt was recorded before its response was lost; the answer counts once.
      assert.ok(ans.status === 200 || ans.status === 409, `answer: ${ans.status} ${JSON.stringify(ans.body)}`);
      if (ans.status === 200) load.answered++;
    }
  });
  load.stop = async () => {
    stopping = true;
    await Promise.all([...submitters, ...reviewers]);
  };
  return load;
}

/** Claims and answers through `base` until the workflow has no open or leased task left. */
async function drain(db: Db, base: string, token: string, workflow: string, ms = 20_000): Promise<void> {
  const http = client(base, token);
  const deadline = Date.now() + ms;
  for (;;) {
    assert.ok(Date.now() < deadline, 'the queue did not drain in time');
    const claim = await http.post<{ task: { id: string; assignment: number } }>('/v1/tasks/claim', { workflow, leaseSeconds: 30 });
    if (claim.status === 204) {
      const [left] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE workflow = $1 AND status IN ('open', 'leased')`, [workflow]);
      if (left!.n === 0) return;
      await sleep(100);
      continue;
    }
    assert.equal(claim.status, 200, JSON.stringify(claim.body));
    const ans = await http.post(`/v1/tasks/${claim.body.task.id}/answer`, { assignment: claim.body.task.assignment, label: 'bug' });
    assert.equal(ans.status, 200, JSON.stringify(ans.body));
  }
}

async function assertAcceptedOnce(db: Db, workflow: string, load: Load): Promise<void> {
  const rows = await db.query<{ key: string; id: string }>(`SELECT idempotency_key AS key, id::text AS id FROM items WHERE workflow = $1 AND idempotency_key IS NOT NULL`, [workflow]);
  const byKey = new Map(rows.map((r) => [r.key, r.id]));
  assert.equal(byKey.size, rows.length, 'no key made two items');
  for (const [key, id] of load.accepted) assert.equal(byKey.get(key), id, `accepted item ${key} exists, once`);
}

describe('faults, on a Postgres cluster of the test\'s own', () => {
  let cluster: Cluster;
  let db: Db;
  let a: ServeProcess;
  let b: ServeProcess;

  before(async () => {
    cluster = await createCluster();
    const url = await cluster.createDatabase('tandem');
    db = await openDb({ url, poolSize: 3 });
    await migrate(db);
    [a, b] = await Promise.all([startServe('A', url, { TANDEM_POOL_SIZE: '5' }), startServe('B', url, { TANDEM_POOL_SIZE: '5' })]);
  });
  after(async () => {
    await stopAll();
    await db?.close();
    cluster?.remove();
  });

  test('kill -9 of a serving process mid-load: every submitted item exists once, whole; no answer counted twice; its leases come back', async () => {
    const wf = 'killed';
    assert.equal((await client(a.url).post('/v1/workflows', labelWorkflow(wf))).status, 201);
    const tokens = await Promise.all([0, 1, 2].map((r) => signedInReviewer(a.url, `killed-${r}@test`, [wf])));
    // A reviewer whose browser talked to A and went away with it: two leases nobody will answer.
    const abandoned: string[] = [];
    for (let i = 0; i < 2; i++) {
      const item = await client(a.url).post(`/v1/workflows/${wf}/items`, { text: `abandoned ${i}` }, { 'Idempotency-Key': `abandoned-${i}` });
      assert.equal(item.status, 201);
    }
    const lost = await signedInReviewer(a.url, 'gone@test', [wf]);
    for (let i = 0; i < 2; i++) {
      const claim = await client(a.url, lost).post<{ task: { id: string } }>('/v1/tasks/claim', { workflow: wf, leaseSeconds: 5 });
      assert.equal(claim.status, 200);
      abandoned.push(claim.body.task.id);
    }
    let alive = [a, b];
    const load = startLoad(wf, () => alive, tokens, 'k');
    await eventually(async () => (load.accepted.size >= 40 ? true : undefined), 20_000, 'load through both processes');
    const exit = await a.stop('SIGKILL');
    assert.equal(exit.signal, 'SIGKILL');
    alive = [b];
    const atKill = load.accepted.size;
    await eventually(async () => (load.accepted.size >= atKill + 30 ? true : undefined), 20_000, 'load to carry on through B');
    await load.stop();
    await drain(db, b.url, tokens[0]!, wf);
    console.log(`kill -9: ${load.accepted.size} items accepted (${atKill} before the kill), ${load.answered} answers during the load; responses: ${JSON.stringify(Object.fromEntries(load.statuses))}`);

    await assertAcceptedOnce(db, wf, load);
    assert.deepEqual(await brokenItems(db, wf), whole);
    const [undecided] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM items WHERE workflow = $1 AND status <> 'decided'`, [wf]);
    assert.equal(undecided!.n, 0, 'every item was answered in the end');
    const expired = await db.query<{ id: string }>(`SELECT task_id::text AS id FROM events WHERE type = 'task.lease_expired' AND task_id = ANY($1::uuid[])`, [abandoned]);
    assert.equal(expired.length, 2, 'the abandoned leases ran out and their tasks were answered by others');
    await a.restart();
  });

  test('Postgres restarted mid-load (fast, then immediate) and stopped: 503 with Retry-After at once, no crash, reconnects by itself, nothing half-written', async () => {
    const wf = 'restarted';
    assert.equal((await client(a.url).post('/v1/workflows', labelWorkflow(wf, { policy: { rules: [{ when: 'metadata.vip == true', priority: 5 }] } }))).status, 201);
    // A live stream held open on A through all of it.
    const live: { event: string; data: string }[] = [];
    const stream = new AbortController();
    await readEventStream(`${a.url}/v1/events/stream`, adminKey, stream.signal, (event, data) => live.push({ event, data }));
    const tokens = await Promise.all([0, 1].map((r) => signedInReviewer(b.url, `restarted-${r}@test`, [wf])));
    const load = startLoad(wf, () => [a, b], tokens, 'r');
    await eventually(async () => (load.accepted.size >= 20 ? true : undefined), 20_000, 'load before the restart');
    cluster.restart('fast');
    let mark = load.accepted.size;
    await eventually(async () => (load.accepted.size >= mark + 20 ? true : undefined), 20_000, 'submits after a fast restart');
    cluster.restart('immediate');
    mark = load.accepted.size;
    await eventually(async () => (load.accepted.size >= mark + 20 ? true : undefined), 20_000, 'submits after an immediate restart (crash recovery)');

    // Down for a while: the health check says so, and requests fail at once rather than hang.
    cluster.stop('fast');
    for (const p of [a, b]) {
      const started = performance.now();
      const health = await client(p.url, null).get('/healthz');
      assertUnavailable(health, /not reachable/);
      const submit = await client(p.url).post(`/v1/workflows/${wf}/items`, { text: 'while down' }, { 'Idempotency-Key': `down-${p.name}` });
      assertUnavailable(submit, /not reachable/);
      assert.ok(performance.now() - started < 2000, 'a dead database is reported within 2 s');
    }
    await sleep(500);
    cluster.start();
    await eventually(async () => ((await client(a.url, null).get('/healthz')).status === 200 && (await client(b.url, null).get('/healthz')).status === 200 ? true : undefined), 15_000, 'healthy again');
    mark = load.accepted.size;
    await eventually(async () => (load.accepted.size >= mark + 20 ? true : undefined), 20_000, 'submits after the database came back');
    await load.stop();
    console.log(`postgres restarts: ${load.accepted.size} items accepted; slowest 503 ${load.slowest503.toFixed(0)} ms; responses: ${JSON.stringify(Object.fromEntries(load.statuses))}`);

    assert.ok(a.alive() && b.alive(), `no process crashed:\n${a.output()}\n${b.output()}`);
    assert.ok(load.unavailable.length > 0, 'the restarts were seen as 503s');
    for (const res of load.unavailable) assertUnavailable(res);
    assert.ok(load.slowest503 < 2000, `503s came at once (slowest ${load.slowest503.toFixed(0)} ms)`);
    const others = [...load.statuses.keys()].filter((k) => !/ (200|201|204|409|503)$/.test(k));
    assert.deepEqual(others, [], 'nothing but answers and 503s: no 500, no dropped connection');

    // The LISTEN connection came back too: a client long-polling on B is woken by an answer on A
    // at once (without it, only the 5 s re-read would notice).
    // (It reconnects with a backoff, so a first try may still find it away: up to three tries.)
    await drain(db, a.url, tokens[0]!, wf);
    let wokenInMs = Infinity;
    for (let attempt = 0; attempt < 3 && wokenInMs >= 2500; attempt++) {
      const item = await client(a.url).post<{ id: string }>(`/v1/workflows/${wf}/items`, { text: `wake me ${attempt}` });
      assert.equal(item.status, 201);
      const waiting = client(b.url).get<{ status: string }>(`/v1/items/${item.body.id}/decision?wait=10`);
      const claim = await client(a.url, tokens[1]).post<{ task: { id: string; assignment: number } }>('/v1/tasks/claim', { workflow: wf, leaseSeconds: 30 });
      assert.equal(claim.status, 200);
      await sleep(200);
      const answeredAt = performance.now();
      assert.equal((await client(a.url, tokens[1]).post(`/v1/tasks/${claim.body.task.id}/answer`, { assignment: claim.body.task.assignment, label: 'bug' })).status, 200);
      assert.equal((await waiting).body.status, 'decided');
      wokenInMs = performance.now() - answeredAt;
    }
    assert.ok(wokenInMs < 2500, `the long poll on B was woken by NOTIFY after the restarts (${wokenInMs.toFixed(0)} ms after the answer)`);

    // The live stream opened before the restarts still reports new urgent work.
    const vip = await client(b.url).post<{ id: string }>(`/v1/workflows/${wf}/items`, { text: 'urgent after the restarts', metadata: { vip: true } });
    assert.equal(vip.status, 201);
    await eventually(async () => (live.some((e) => e.event === 'urgent' && e.data.includes(vip.body.id)) ? true : undefined), 10_000, 'the urgent event on the stream held since before the restarts');
    stream.abort();

    await drain(db, a.url, tokens[0]!, wf);
    await assertAcceptedOnce(db, wf, load);
    assert.deepEqual(await brokenItems(db, wf), whole);
  });

  test('a read-only database: changes get a 503 that says so, reads still work; writable again, all works without restarting Tandem', async () => {
    const wf = 'readonly';
    assert.equal((await client(a.url).post('/v1/workflows', labelWorkflow(wf))).status, 201);
    const before = await client(a.url).post<{ id: string }>(`/v1/workflows/${wf}/items`, { text: 'written before' });
    assert.equal(before.status, 201);
    // As a failover to a standby or an operator switching writes off would: every session, at once.
    await cluster.sql('ALTER SYSTEM SET default_transaction_read_only = on');
    await cluster.sql('SELECT pg_reload_conf()');
    try {
      for (const p of [a, b]) {
        const refused = await eventually(async () => {
          const res = await client(p.url).post(`/v1/workflows/${wf}/items`, { text: 'refused' });
          return res.status === 503 ? res : undefined;
        }, 5_000, 'the read-only setting to reach every session');
        assertUnavailable(refused, /read-only/);
        assert.equal(refused.headers.get('retry-after'), '30');
        const read = await client(p.url).get(`/v1/items/${before.body.id}`);
        assert.equal(read.status, 200, 'reads are served');
        assert.equal((await client(p.url, null).get('/healthz')).status, 200, 'the database answers: the process stays in the pool');
      }
    } finally {
      await cluster.sql('ALTER SYSTEM RESET default_transaction_read_only');
      await cluster.sql('SELECT pg_reload_conf()');
    }
    await eventually(async () => ((await client(b.url).post(`/v1/workflows/${wf}/items`, { text: 'writable again' })).status === 201 ? true : undefined), 5_000, 'writes accepted again');
    const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM items WHERE workflow = $1 AND text = 'refused'`, [wf]);
    assert.equal(row!.n, 0, 'nothing of a refused submit was written');
  });

  test('a webhook receiver and the model endpoint down together: items go to people with the reason, webhooks are retried and all arrive once', async () => {
    const url = await cluster.createDatabase('outage');
    const odb = await openDb({ url, poolSize: 4 });
    await migrate(odb);
    const app = await startApp(odb);
    const fast = { intervalMs: 30, baseDelayMs: 50, maxDelayMs: 1000, timeoutMs: 2000 };
    const dispatchers = [startWebhookDispatcher(odb, fast, (err) => console.error(err)), startWebhookDispatcher(odb, fast, (err) => console.error(err))];
    const modelPort = await freePort();
    const hookPort = await freePort();
    const got: string[] = [];
    const model = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ labels: { billing: 0.97, bug: 0.01, fraud: 0.01, other: 0.01 } })));
    });
    const hook = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        got.push(String(req.headers['webhook-id']));
        res.writeHead(204).end();
      });
    });
    const up = (s: Server, port: number) => new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
    try {
      const admin = client(app.url, adminKey);
      const wf = 'outage';
      const made = await admin.post('/v1/workflows', labelWorkflow(wf, { model: { type: 'http', url: `http://127.0.0.1:${modelPort}/score`, timeoutMs: 500 }, policy: { threshold: 0.9 } }));
      assert.equal(made.status, 201, JSON.stringify(made.body));
      assert.equal((await admin.post('/v1/webhooks', { url: `http://127.0.0.1:${hookPort}/hook` })).status, 201);

      for (let i = 0; i < 10; i++) {
        const res = await admin.post<{ route: { route: string; reasons: { code: string; message?: string }[] } }>(`/v1/workflows/${wf}/items`, { text: `refund please ${i}` });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        assert.equal(res.body.route.route, 'review', 'with the model down, people decide');
        const reason = res.body.route.reasons.find((r) => r.code === 'model_error');
        assert.ok(reason, JSON.stringify(res.body.route));
        assert.match(reason.message ?? '', /model unreachable/);
      }
      await sleep(300);
      const [failing] = await odb.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE attempts > 0 AND delivered_at IS NULL`);
      assert.ok(failing!.n > 0, 'deliveries were tried and failed while the receiver was down');

      await Promise.all([up(model, modelPort), up(hook, hookPort)]);
      for (let i = 0; i < 10; i++) {
        const res = await admin.post<{ route: { route: string } }>(`/v1/workflows/${wf}/items`, { text: `refund please ${i}` });
        assert.equal(res.body.route.route, 'auto', 'the model is back: the machine decides again');
      }
      // Every event since the subscription: 20 routed, 10 tasks created, 10 machine decisions.
      const events = await odb.query<{ id: string }>(`SELECT id::text AS id FROM events WHERE workflow = $1 AND item_id IS NOT NULL ORDER BY id`, [wf]);
      assert.equal(events.length, 40);
      await eventually(async () => (got.length >= events.length ? true : undefined), 15_000, `${events.length} deliveries`);
      await sleep(300);
      assert.equal(new Set(got).size, got.length, 'no event arrived twice');
      const ids = new Set(got);
      assert.deepEqual(events.filter((e) => !ids.has(e.id)), [], 'every event arrived');
    } finally {
      for (const d of dispatchers) await d.stop();
      await app.close();
      await odb.close();
      await new Promise((r) => model.close(r));
      await new Promise((r) => hook.close(r));
    }
  });
});

describe('a full disk, on a cluster whose files may not grow past 2 MiB', () => {
  test('submits get a 503 that says the disk is full, nothing half-written; once there is room, they work again without restarting Tandem', async () => {
    // RLIMIT_FSIZE on the server: a table file that would grow past it fails exactly as on a
    // full disk (SQLSTATE 53100, "could not extend file"), with no privileges or mounts needed.
    const cap = 2 * 1024 * 1024 + 100;
    const cluster = await createCluster({ maxFileBytes: cap });
    const url = await cluster.createDatabase('full');
    const db = await openDb({ url, poolSize: 4 });
    const app = await (async () => {
      await migrate(db);
      return startApp(db);
    })();
    try {
      const admin = client(app.url, adminKey);
      const wf = 'full';
      assert.equal((await admin.post('/v1/workflows', labelWorkflow(wf))).status, 201);
      // Ballast in the outbox until its file is at the cap: committed rows in ever smaller
      // batches, so that little room is left (a failed batch's rows are dead and their room reused).
      let full = false;
      for (const [rows, pad] of [[100, 1800], [10, 1800], [1, 1800], [1, 100]] as const) {
        for (let i = 0; i < 400; i++) {
          try {
            await db.query(`INSERT INTO events (type, workflow, payload) SELECT 'ballast', NULL, jsonb_build_object('pad', repeat('x', $2::int)) FROM generate_series(1, $1::int)`, [rows, pad]);
          } catch (err) {
            assert.equal((err as { code?: string }).code, '53100', String(err));
            full = true;
            break;
          }
        }
      }
      const accepted = new Set<string>();
      let refused: Res | null = null;
      for (let i = 0; i < 300 && !refused; i++) {
        const res = await admin.post<{ id: string }>(`/v1/workflows/${wf}/items`, { text: `while full ${i}` }, { 'Idempotency-Key': `full-${i}` });
        if (res.status === 201) accepted.add(res.body.id);
        else refused = res;
      }
      assert.ok(refused, 'a submit was refused once the disk was full');
      assertUnavailable(refused, /out of disk space/);
      assert.equal(refused.headers.get('retry-after'), '30');
      const items = await db.query<{ id: string }>(`SELECT id::text AS id FROM items WHERE workflow = $1`, [wf]);
      assert.deepEqual(items.map((r) => r.id).sort(), [...accepted].sort(), 'only acknowledged items exist');
      assert.deepEqual(await brokenItems(db, wf), whole);

      // Room again (here: the cap lifted by a restart): Tandem reconnects and writes.
      cluster.restart('fast');
      const again = await eventually(async () => {
        const res = await admin.post<{ id: string }>(`/v1/workflows/${wf}/items`, { text: 'room again' }, { 'Idempotency-Key': 'room' });
        return res.status === 201 ? res : undefined;
      }, 10_000, 'a submit accepted after the restart');
      assert.ok(again.body.id);
      assert.deepEqual(await brokenItems(db, wf), whole);
    } finally {
      await app.close();
      await db.close();
      cluster.remove();
    }
  });
});

describe('a read-only embedded database (PGlite)', () => {
  test('changes get the same 503 saying the database is read-only', async () => {
    const t = await freshDb('pglite');
    const app = await startApp(t.db);
    try {
      const admin = client(app.url, adminKey);
      assert.equal((await admin.post('/v1/workflows', labelWorkflow('ro'))).status, 201);
      await t.db.exec('SET default_transaction_read_only = on');
      assertUnavailable(await admin.post('/v1/workflows/ro/items', { text: 'refused' }), /read-only/);
      assert.deepEqual(await migrate(t.db), [], 'a current schema is checked by reading only: a process can start on a read-only database');
      assert.equal((await admin.get('/v1/workflows/ro')).status, 200, 'reads are served');
      await t.db.exec('SET default_transaction_read_only = off');
      assert.equal((await admin.post('/v1/workflows/ro/items', { text: 'accepted' })).status, 201);
    } finally {
      await app.close();
      await t.drop();
    }
  });
});
