// Concurrency and crash safety against a real Postgres server: two `tandem serve` processes on one
// database sharing a 2,000-task queue among 40 reviewers, a process killed with SIGKILL while it
// holds leases and is taking submits, and one Idempotency-Key raced by 20 requests.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { client, drivers, freshDb, labelWorkflow, signedInReviewer, startApp, type Res, type TestDb } from './harness.ts';
import { startServe, stopAll, type ServeProcess } from './serveProcess.ts';

const labels = ['billing', 'bug', 'fraud', 'other'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `worker` on `concurrency` parallel lanes until the items run out. */
async function inParallel<T>(items: readonly T[], concurrency: number, worker: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await worker(items[i] as T, i);
      }
    }),
  );
}

interface Tally {
  byStatus: Map<string, number>;
  serverErrors: string[];
  conflicts: string[];
}

function newTally(): Tally {
  return { byStatus: new Map(), serverErrors: [], conflicts: [] };
}

function record(t: Tally, what: string, res: Res): void {
  const key = `${what} ${res.status}`;
  t.byStatus.set(key, (t.byStatus.get(key) ?? 0) + 1);
  if (res.status >= 500) t.serverErrors.push(`${key}: ${JSON.stringify(res.body)}`);
  if (res.status === 409) t.conflicts.push(`${key}: ${JSON.stringify(res.body)}`);
}

after(async () => {
  await stopAll();
});

/**
 * Two `tandem serve` processes, A and B, on one fresh Postgres database, for the enclosing
 * describe block. Started together on purpose: start-up itself (migrations, first admin) must
 * tolerate a twin.
 */
function twoServeProcesses(): { a: ServeProcess; b: ServeProcess; fresh: TestDb } {
  const servers = {} as { a: ServeProcess; b: ServeProcess; fresh: TestDb };
  before(async () => {
    servers.fresh = await freshDb('postgres', 4);
    [servers.a, servers.b] = await Promise.all([startServe('A', servers.fresh.url!), startServe('B', servers.fresh.url!)]);
  });
  after(async () => {
    await stopAll();
    await servers.fresh?.drop();
  });
  return servers;
}

describe('two serve processes on one Postgres database', () => {
  const servers = twoServeProcesses();

  test('40 reviewers across both processes answer 2,000 tasks, each exactly once', async () => {
    const { a, b, fresh } = servers;
    const total = 2000;
    const reviewerCount = 40;
    const wf = 'load';
    const processes = [a, b];
    const created = await client(a.url).post('/v1/workflows', labelWorkflow(wf));
    assert.equal(created.status, 201, JSON.stringify(created.body));

    const tally = newTally();
    const submitStart = performance.now();
    const itemIds = new Set<string>();
    await inParallel(
      Array.from({ length: total }, (_, i) => i),
      32,
      async (i) => {
        const res = await client(processes[i % 2]!.url).post<{ id: string; status: string; route: { route: string } }>(`/v1/workflows/${wf}/items`, {
          text: `message ${i}`,
          metadata: { n: i },
        });
        record(tally, 'submit', res);
        assert.equal(res.status, 201, JSON.stringify(res.body));
        assert.equal(res.body.status, 'pending');
        assert.equal(res.body.route.route, 'review');
        itemIds.add(res.body.id);
      },
    );
    const submitSeconds = (performance.now() - submitStart) / 1000;
    assert.equal(itemIds.size, total);

    const tokens = await Promise.all(
      Array.from({ length: reviewerCount }, (_, i) => signedInReviewer(processes[i % 2]!.url, `load-${i}@test`, [wf])),
    );

    const answeredTasks: string[] = [];
    let holding = 0;
    // Generous: the machine may be shared with other test files; a healthy run takes ~20 s.
    const deadline = Date.now() + 90_000;
    const claimStart = performance.now();
    await Promise.all(
      tokens.map(async (token, r) => {
        const http = client(processes[r % 2]!.url, token);
        for (let round = 0; ; round++) {
          assert.ok(Date.now() < deadline && round < total * 2, `claimer ${r} did not finish in time`);
          const claim = await http.post<{ task: { id: string; assignment: number } }>('/v1/tasks/claim', { workflow: wf });
          record(tally, 'claim', claim);
          if (claim.status === 204) {
            // Nothing is open. Leases still held by other claimers will be answered, not returned,
            // so once nobody holds one there is nothing left to wait for.
            if (holding === 0) return;
            await sleep(20);
            continue;
          }
          assert.equal(claim.status, 200, JSON.stringify(claim.body));
          holding++;
          try {
            const { id, assignment } = claim.body.task;
            const ans = await http.post(`/v1/tasks/${id}/answer`, { assignment, label: labels[(r + round) % labels.length] });
            record(tally, 'answer', ans);
            if (ans.status === 200) answeredTasks.push(id);
          } finally {
            holding--;
          }
        }
      }),
    );
    const claimSeconds = (performance.now() - claimStart) / 1000;
    console.log(
      `submit: ${total} items in ${submitSeconds.toFixed(1)} s (${(total / submitSeconds).toFixed(0)}/s); ` +
        `claim+answer: ${answeredTasks.length} in ${claimSeconds.toFixed(1)} s (${(answeredTasks.length / claimSeconds).toFixed(0)}/s) ` +
        `with ${reviewerCount} reviewers on 2 processes; responses: ${JSON.stringify(Object.fromEntries(tally.byStatus))}`,
    );

    assert.deepEqual(tally.serverErrors, [], 'no 5xx');
    assert.deepEqual(tally.conflicts, [], 'no 409 in an orderly run');
    assert.equal(answeredTasks.length, total);
    assert.equal(new Set(answeredTasks).size, total, 'no task was answered twice through the API');

    const [counts] = await fresh.db.query<Record<string, number>>(
      `SELECT
         (SELECT count(*)::int FROM items WHERE workflow = $1) AS items,
         (SELECT count(*)::int FROM items WHERE workflow = $1 AND status = 'decided') AS decided,
         (SELECT count(*)::int FROM tasks WHERE workflow = $1) AS tasks,
         (SELECT count(*)::int FROM tasks WHERE workflow = $1 AND status = 'done') AS done,
         (SELECT count(*)::int FROM tasks WHERE workflow = $1 AND status IN ('open', 'leased')) AS unfinished,
         (SELECT count(*)::int FROM answers a JOIN items i ON i.id = a.item_id WHERE i.workflow = $1) AS answers,
         (SELECT count(*)::int FROM tasks t WHERE t.workflow = $1
            AND (SELECT count(*) FROM answers a WHERE a.task_id = t.id) <> 1) AS tasks_not_answered_once,
         (SELECT count(*)::int FROM items i WHERE i.workflow = $1
            AND (SELECT count(*) FROM decisions d WHERE d.item_id = i.id) <> 1) AS items_without_one_decision,
         (SELECT count(*)::int FROM answers a JOIN tasks t ON t.id = a.task_id
            WHERE t.workflow = $1 AND (a.reviewer_id <> t.lease_owner OR a.assignment <> t.assignment)) AS answers_by_non_holder,
         (SELECT count(*)::int FROM answers a JOIN decisions d ON d.item_id = a.item_id JOIN items i ON i.id = a.item_id
            WHERE i.workflow = $1 AND d.outcome <> a.outcome) AS decisions_not_matching_answer,
         (SELECT count(*)::int FROM events WHERE workflow = $1 AND type = 'task.claimed') AS claims`,
      [wf],
    );
    assert.deepEqual(counts, {
      items: total,
      decided: total,
      tasks: total,
      done: total,
      unfinished: 0,
      answers: total,
      tasks_not_answered_once: 0,
      items_without_one_decision: 0,
      answers_by_non_holder: 0,
      decisions_not_matching_answer: 0,
      // No lease expired or was released, so no task was ever handed out twice.
      claims: total,
    });
    const ns = await fresh.db.query<{ n: number }>(`SELECT (metadata->>'n')::int AS n FROM items WHERE workflow = $1 ORDER BY 1`, [wf]);
    assert.deepEqual(
      ns.map((r) => r.n),
      Array.from({ length: total }, (_, i) => i),
    );
  });

  test('a task claimed through one process is answered, heartbeated and refused a second answer through the other', async () => {
    const { a, b, fresh } = servers;
    const wf = 'cross-answer';
    assert.equal((await client(a.url).post('/v1/workflows', labelWorkflow(wf))).status, 201);
    assert.equal((await client(a.url).post(`/v1/workflows/${wf}/items`, { text: 'refund please' })).status, 201);
    const token = await signedInReviewer(a.url, 'cross@test', [wf]);
    const claim = await client(a.url, token).post('/v1/tasks/claim', { workflow: wf });
    assert.equal(claim.status, 200);
    const { id, assignment } = claim.body.task as { id: string; assignment: number };
    // B never saw the claim: it reads the task, which A remembered from it.
    assert.equal((await client(b.url, token).post(`/v1/tasks/${id}/heartbeat`, { assignment })).status, 200);
    const answered = await client(b.url, token).post(`/v1/tasks/${id}/answer`, { assignment, label: 'billing' });
    assert.equal(answered.status, 200, JSON.stringify(answered.body));
    assert.equal(answered.body.decision.outcome.label, 'billing');
    assert.equal((await client(a.url, token).post(`/v1/tasks/${id}/answer`, { assignment, label: 'bug' })).status, 409);
    const events = await fresh.db.query<{ type: string }>(`SELECT type FROM events WHERE task_id = $1::uuid OR (item_id = $2::uuid AND type LIKE 'decision.%') ORDER BY id`, [id, claim.body.item.id]);
    assert.deepEqual(events.map((e) => e.type), ['task.created', 'task.claimed', 'task.answered', 'decision.made']);
  });

  test('one Idempotency-Key raced across both processes makes one item', async () => {
    const { a, b, fresh } = servers;
    const wf = 'idem-x';
    assert.equal((await client(a.url).post('/v1/workflows', labelWorkflow(wf))).status, 201);
    const key = 'race-across-processes';
    const body = { text: 'charged twice', metadata: { order: 7 } };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client([a, b][i % 2]!.url).post<{ id: string }>(`/v1/workflows/${wf}/items`, body, { 'Idempotency-Key': key })),
    );
    assertOneCreated(results);
    const [row] = await fresh.db.query<{ items: number; tasks: number }>(
      `SELECT count(*)::int AS items, (SELECT count(*)::int FROM tasks t JOIN items i ON i.id = t.item_id WHERE i.workflow = $1) AS tasks
       FROM items WHERE workflow = $1 AND idempotency_key = $2`,
      [wf, key],
    );
    assert.deepEqual(row, { items: 1, tasks: 1 });
  });
});

function assertOneCreated(results: Res<{ id: string }>[]): void {
  const statuses = results.map((r) => r.status).sort();
  assert.deepEqual(statuses, [...Array(19).fill(200), 201], JSON.stringify(results.filter((r) => r.status >= 300).map((r) => r.body)));
  const ids = new Set(results.map((r) => r.body.id));
  assert.equal(ids.size, 1, 'every response names the same item');
}

describe('a serve process killed with SIGKILL', () => {
  const servers = twoServeProcesses();

  test('loses no acknowledged item, and its leases come back through the other process', async () => {
    const { a, b, fresh } = servers;
    const wf = 'crash';
    assert.equal((await client(a.url).post('/v1/workflows', labelWorkflow(wf))).status, 201);
    const token = await signedInReviewer(a.url, 'crash@test', [wf]);
    const acknowledged = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const res = await client(a.url).post<{ id: string }>(`/v1/workflows/${wf}/items`, { text: `before ${i}` });
      assert.equal(res.status, 201);
      acknowledged.add(res.body.id);
    }

    const held: { id: string; assignment: number; leaseExpiresAt: string }[] = [];
    for (let i = 0; i < 5; i++) {
      const claim = await client(a.url, token).post<{ task: { id: string; assignment: number; leaseExpiresAt: string } }>('/v1/tasks/claim', {
        workflow: wf,
        leaseSeconds: 5,
      });
      assert.equal(claim.status, 200, JSON.stringify(claim.body));
      held.push(claim.body.task);
    }

    // Submits keep flowing into A when it dies; some are acknowledged, some cut off mid-flight.
    let killed = false;
    let cutOff = 0;
    const submitters = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; !killed && i < 500; i++) {
        try {
          const res = await client(a.url).post<{ id: string }>(`/v1/workflows/${wf}/items`, { text: `burst ${w}-${i}` });
          if (res.status === 201) acknowledged.add(res.body.id);
          else assert.fail(`submit to A answered ${res.status}: ${JSON.stringify(res.body)}`);
        } catch (err) {
          if (!killed) throw err;
          cutOff++;
        }
      }
    });
    await eventuallyTrue(() => acknowledged.size >= 30, 15_000, 'A to acknowledge submits');
    killed = true;
    const exit = await a.stop('SIGKILL');
    await Promise.all(submitters);
    assert.equal(exit.signal, 'SIGKILL');
    const [leased] = await fresh.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE id = ANY($1::uuid[]) AND status = 'leased'`, [held.map((h) => h.id)]);
    assert.equal(leased?.n, 5, 'the dead process\'s leases outlive it until they expire');

    const http = client(b.url, token);
    const tally = newTally();
    const reclaimed = new Map<string, { assignment: number; at: number }>();
    const deadline = Date.now() + 30_000;
    for (;;) {
      assert.ok(Date.now() < deadline, 'the work did not drain through B in time');
      const claim = await http.post<{ task: { id: string; assignment: number } }>('/v1/tasks/claim', { workflow: wf, leaseSeconds: 60 });
      record(tally, 'claim', claim);
      if (claim.status === 204) {
        const [left] = await fresh.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE workflow = $1 AND status IN ('open', 'leased')`, [wf]);
        if (left?.n === 0) break;
        await sleep(100);
        continue;
      }
      assert.equal(claim.status, 200, JSON.stringify(claim.body));
      const { id, assignment } = claim.body.task;
      if (held.some((h) => h.id === id)) reclaimed.set(id, { assignment, at: Date.now() });
      const ans = await http.post(`/v1/tasks/${id}/answer`, { assignment, label: 'other' });
      record(tally, 'answer', ans);
      assert.equal(ans.status, 200, JSON.stringify(ans.body));
    }
    console.log(`crash: ${acknowledged.size} items acknowledged by A (8 before the burst), ${cutOff} submits cut off by the kill; responses from B: ${JSON.stringify(Object.fromEntries(tally.byStatus))}`);
    assert.deepEqual(tally.serverErrors, []);

    for (const h of held) {
      const again = reclaimed.get(h.id);
      assert.ok(again, `task ${h.id} leased through A came back through B`);
      assert.equal(again.assignment, h.assignment + 1);
      assert.ok(again.at >= Date.parse(h.leaseExpiresAt), 'a lease is not taken back before it expires');
      const stale = await http.post(`/v1/tasks/${h.id}/answer`, { assignment: h.assignment, label: 'bug' });
      assert.equal(stale.status, 409, 'the assignment given out by the dead process is void');
    }
    const expired = await fresh.db.query<{ task_id: string }>(`SELECT task_id::text AS task_id FROM events WHERE type = 'task.lease_expired'`);
    assert.deepEqual(expired.map((e) => e.task_id).sort(), held.map((h) => h.id).sort());

    const items = await fresh.db.query<{ id: string; status: string; decisions: number }>(
      `SELECT i.id::text AS id, i.status, (SELECT count(*)::int FROM decisions d WHERE d.item_id = i.id) AS decisions FROM items i WHERE workflow = $1`,
      [wf],
    );
    const byId = new Map(items.map((i) => [i.id, i]));
    for (const id of acknowledged) {
      const item = byId.get(id);
      assert.ok(item, `acknowledged item ${id} exists`);
      assert.equal(item.status, 'decided');
      assert.equal(item.decisions, 1);
    }
    // Items A wrote but could not acknowledge are whole too: decided, nothing half-written.
    assert.ok(items.every((i) => i.status === 'decided' && i.decisions === 1));
    const [orphans] = await fresh.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM items i WHERE workflow = $1 AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.item_id = i.id)`,
      [wf],
    );
    assert.equal(orphans?.n, 0, 'every item was written with its task');
  });
});

async function eventuallyTrue(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

for (const driver of drivers) {
  describe(`idempotency under concurrency (${driver})`, () => {
    test('20 concurrent submits with one key make one item; another body with the key is refused', async () => {
      const fresh = await freshDb(driver);
      const app = await startApp(fresh.db);
      try {
        const http = client(app.url);
        const wf = 'idem';
        assert.equal((await http.post('/v1/workflows', labelWorkflow(wf))).status, 201);
        const key = 'one-key';
        const body = { text: 'refund please', fields: { amount: 12 }, metadata: { channel: 'email' } };
        const results = await Promise.all(Array.from({ length: 20 }, () => http.post<{ id: string }>(`/v1/workflows/${wf}/items`, body, { 'Idempotency-Key': key })));
        assertOneCreated(results);

        const other = await http.post(`/v1/workflows/${wf}/items`, { ...body, text: 'something else' }, { 'Idempotency-Key': key });
        assert.equal(other.status, 422, JSON.stringify(other.body));
        assert.match(other.headers.get('content-type') ?? '', /application\/problem\+json/);

        const [row] = await fresh.db.query<{ items: number; tasks: number; key_items: number }>(
          `SELECT (SELECT count(*)::int FROM items WHERE workflow = $1) AS items,
                  (SELECT count(*)::int FROM items WHERE workflow = $1 AND idempotency_key = $2) AS key_items,
                  (SELECT count(*)::int FROM tasks WHERE workflow = $1) AS tasks`,
          [wf, key],
        );
        assert.deepEqual(row, { items: 1, key_items: 1, tasks: 1 });
      } finally {
        await app.close();
        await fresh.drop();
      }
    });
  });
}
