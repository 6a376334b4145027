// Many processes, one Postgres: two real `tandem serve` processes on one database, as behind a
// load balancer. Claims through both, retraining done once and seen by both, live updates on
// one process for work submitted through the other, webhooks delivered once with two
// dispatchers, and a process stopped (SIGTERM) and started again while the other carries on.
// Faults (kill -9, Postgres restarts, read-only, disk full) are in faults.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { adminKey, client, eventually, freshDb, labelWorkflow, readEventStream, signedInReviewer, topicWords, type TestDb } from './harness.ts';
import { startServe, stopAll, type ServeProcess } from './serveProcess.ts';

const labels = Object.keys(topicWords);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A message whose words mark `label`, so that a model trained on answers can learn something. */
function message(label: string, i: number): string {
  const words = topicWords[label]!;
  return `${words[i % words.length]} ${words[(i * 3 + 1) % words.length]} ticket ${i}`;
}

interface SseEvent {
  event: string;
  data: any;
}

describe('scale-out: two serve processes behind a load balancer, one Postgres', () => {
  let fresh: TestDb;
  let a: ServeProcess;
  let b: ServeProcess;
  let hook: Server;
  const hooked: { id: string; type: string }[] = [];

  before(async () => {
    fresh = await freshDb('postgres', 4);
    const env = { TANDEM_RETRAIN_MS: '300', TANDEM_POOL_SIZE: '6' };
    [a, b] = await Promise.all([startServe('A', fresh.url!, env), startServe('B', fresh.url!, env)]);
    hook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        hooked.push({ id: String(req.headers['webhook-id']), type: JSON.parse(Buffer.concat(chunks).toString()).type });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await stopAll();
    await new Promise((r) => hook?.close(r));
    await fresh?.drop();
  });

  test('reviewers on both processes: no task claimed twice, none lost; one retraining per batch of labels, seen by both; webhooks once each', async () => {
    const wf = 'scale';
    const port = (hook.address() as { port: number }).port;
    const sub = await client(a.url).post('/v1/webhooks', { url: `http://127.0.0.1:${port}/hook`, eventTypes: ['item.routed'] });
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    // Threshold 1: the trained model never decides alone, so every item is a task for people.
    const created = await client(b.url).post('/v1/workflows', labelWorkflow(wf, { model: { type: 'builtin', minExamples: 20, retrainEvery: 40 }, policy: { threshold: 1 } }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const total = 160;
    const processes = [a, b];
    const ids = new Set<string>();
    await Promise.all(
      Array.from({ length: 8 }, async (_, lane) => {
        for (let i = lane; i < total; i += 8) {
          const res = await client(processes[i % 2]!.url).post<{ id: string }>(`/v1/workflows/${wf}/items`, { text: message(labels[i % 4]!, i) }, { 'Idempotency-Key': `k${i}` });
          assert.equal(res.status, 201, JSON.stringify(res.body));
          ids.add(res.body.id);
        }
      }),
    );
    assert.equal(ids.size, total);

    const tokens = await Promise.all(Array.from({ length: 8 }, (_, r) => signedInReviewer(processes[r % 2]!.url, `scale-${r}@test`, [wf])));
    const answered: string[] = [];
    let holding = 0;
    const deadline = Date.now() + 60_000;
    await Promise.all(
      tokens.map(async (token, r) => {
        const http = client(processes[r % 2]!.url, token);
        for (;;) {
          assert.ok(Date.now() < deadline, `reviewer ${r} did not finish in time`);
          const claim = await http.post<{ task: { id: string; assignment: number }; item: { text: string } }>('/v1/tasks/claim', { workflow: wf });
          if (claim.status === 204) {
            if (holding === 0) return;
            await sleep(20);
            continue;
          }
          assert.equal(claim.status, 200, JSON.stringify(claim.body));
          holding++;
          try {
            const label = labels.find((l) => topicWords[l]!.some((w) => claim.body.item.text.startsWith(w))) ?? 'other';
            const ans = await http.post(`/v1/tasks/${claim.body.task.id}/answer`, { assignment: claim.body.task.assignment, label });
            assert.equal(ans.status, 200, JSON.stringify(ans.body));
            answered.push(claim.body.task.id);
          } finally {
            holding--;
          }
        }
      }),
    );
    assert.equal(answered.length, total, 'every task answered');
    assert.equal(new Set(answered).size, total, 'no task answered twice');
    const [counts] = await fresh.db.query<Record<string, number>>(
      `SELECT (SELECT count(*)::int FROM items WHERE workflow = $1 AND status = 'decided') AS decided,
              (SELECT count(*)::int FROM events WHERE workflow = $1 AND type = 'task.claimed') AS claims,
              (SELECT count(*)::int FROM items i WHERE i.workflow = $1 AND (SELECT count(*) FROM decisions d WHERE d.item_id = i.id) <> 1) AS not_one_decision`,
      [wf],
    );
    assert.deepEqual(counts, { decided: total, claims: total, not_one_decision: 0 });

    // A version after the first 20 labels, then one per 40 new ones: each batch trained by one
    // process only, whichever took the job lease (two versions less than 40 labels apart would be
    // one batch trained twice), and both processes list the same versions.
    const versions = await eventually(async () => {
      const v = (await client(a.url).get(`/v1/workflows/${wf}/model/versions`)).body.versions as { version: number; trainingSize: number }[];
      return v.some((x) => x.trainingSize > total - 40) ? v : undefined;
    }, 30_000, 'a model version trained on the last batch of labels');
    const sizes = versions.map((v) => v.trainingSize);
    assert.ok(sizes[0]! >= 20, `the first version waits for 20 labels: ${sizes.join(', ')}`);
    for (let i = 1; i < sizes.length; i++) assert.ok(sizes[i]! - sizes[i - 1]! >= 40, `no batch of labels trained twice: ${sizes.join(', ')}`);
    const throughB = (await client(b.url).get(`/v1/workflows/${wf}/model/versions`)).body.versions as { version: number }[];
    assert.deepEqual(throughB.map((v) => v.version), versions.map((v) => v.version));

    // Both processes run a webhook dispatcher: each routed item's event arrives once.
    const routed = await eventually(async () => {
      const got = hooked.filter((h) => h.type === 'item.routed');
      return got.length >= total ? got : undefined;
    }, 20_000, `${total} item.routed deliveries`);
    await sleep(500);
    assert.equal(hooked.filter((h) => h.type === 'item.routed').length, total, 'no event delivered twice');
    assert.equal(new Set(routed.map((h) => h.id)).size, total);
  });

  test('live updates on process A show work submitted through process B', async () => {
    const wf = 'live';
    const made = await client(a.url).post('/v1/workflows', labelWorkflow(wf, { policy: { rules: [{ when: 'metadata.vip == true', priority: 5, name: 'vip' }] } }));
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const events: SseEvent[] = [];
    const abort = new AbortController();
    await readEventStream(`${a.url}/v1/events/stream`, adminKey, abort.signal, (event, data) => events.push({ event, data: JSON.parse(data) }));
    try {
      await eventually(async () => (events.some((e) => e.event === 'queues') ? true : undefined), 5_000, 'the first queues snapshot');
      const item = await client(b.url).post<{ id: string }>(`/v1/workflows/${wf}/items`, { text: 'my card was charged twice', metadata: { vip: true } });
      assert.equal(item.status, 201);
      const urgent = await eventually(async () => events.find((e) => e.event === 'urgent' && e.data.itemId === item.body.id), 10_000, 'the urgent event on A');
      assert.equal(urgent.data.priority, 5);
      await eventually(async () => (events.some((e) => e.event === 'queues' && e.data.queues.some((q: { workflow: string; open: number }) => q.workflow === wf && q.open === 1)) ? true : undefined), 10_000, 'queue depth 1 on A');
    } finally {
      abort.abort();
    }
  });

  test('a process stopped with SIGTERM exits cleanly while the other serves on; started again, it serves the same data', async () => {
    const wf = 'restart';
    assert.equal((await client(a.url).post('/v1/workflows', labelWorkflow(wf))).status, 201);
    const token = await signedInReviewer(a.url, 'restart@test', [wf]);
    const submitted: string[] = [];
    let stopping = false;
    const load = (async () => {
      for (let i = 0; !stopping; i++) {
        const res = await client(a.url).post<{ id: string }>(`/v1/workflows/${wf}/items`, { text: `during ${i}` });
        assert.equal(res.status, 201, 'A is not disturbed by B going away');
        submitted.push(res.body.id);
        await sleep(50);
      }
    })();
    await eventually(async () => (submitted.length >= 5 ? true : undefined), 10_000, 'submits on A');
    let t = performance.now();
    const exit = await b.stop('SIGTERM');
    console.log(`B stopped on SIGTERM in ${(performance.now() - t).toFixed(0)} ms`);
    assert.equal(exit.code, 0, `B exits cleanly on SIGTERM:\n${b.output()}`);
    const whileDown = submitted.length;
    await eventually(async () => (submitted.length >= whileDown + 5 ? true : undefined), 10_000, 'A to carry on alone');
    t = performance.now();
    await b.restart();
    console.log(`B healthy again ${(performance.now() - t).toFixed(0)} ms after start; ${submitted.length} items submitted through A meanwhile`);
    stopping = true;
    await load;
    const http = client(b.url, token);
    for (const id of submitted) {
      const claim = await http.post<{ task: { id: string; itemId: string; assignment: number } }>('/v1/tasks/claim', { workflow: wf });
      assert.equal(claim.status, 200, JSON.stringify(claim.body));
      const ans = await http.post(`/v1/tasks/${claim.body.task.id}/answer`, { assignment: claim.body.task.assignment, label: 'other' });
      assert.equal(ans.status, 200);
    }
    assert.equal((await http.post('/v1/tasks/claim', { workflow: wf })).status, 204, 'every item submitted through A was answered through B, once');
    assert.ok(a.alive() && b.alive());
  });
});
