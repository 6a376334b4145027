// The floor of `bench scale --floor`: the least a claim+answer service can do over HTTP and still
// keep what a human-in-the-loop queue must keep (the lease, the answer, the decision, the
// training example, the audit events). No framework, no validation library, no routing policy,
// no transaction of several statements: each request is one SQL statement on a pool, and a token
// is a reviewer's id checked once against the database. It is not Tandem and not a product; it
// says how fast any implementation of the same HTTP work can be on this machine, beside
// graphile-worker in the same run, so that Tandem's figure can be read against both.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createBatcher } from '../src/engine/batcher.ts';

const submitSql = `
WITH item AS (
  INSERT INTO items (id, workflow, text, metadata, idempotency_key) VALUES ($1::uuid, $2::text, $3::text, $4::jsonb, $5::text)
  ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, workflow
), task AS (
  INSERT INTO tasks (id, item_id, workflow, due_at) SELECT $6::uuid, id, workflow, now() + interval '1 hour' FROM item
), event AS (
  INSERT INTO events (type, workflow, item_id, task_id, payload)
  SELECT t.type, item.workflow, item.id, $6::uuid, '{}'::jsonb FROM item, (VALUES ('item.received'), ('task.created')) AS t(type)
)
SELECT id FROM item`;

const claimSql = `
WITH next AS (
  SELECT id FROM tasks WHERE status = 'open' AND workflow = $1::text
  ORDER BY priority DESC, due_at, created_at LIMIT 1 FOR UPDATE SKIP LOCKED
), claimed AS (
  UPDATE tasks SET status = 'leased', lease_owner = $2::uuid, assignment = assignment + 1,
         lease_expires_at = now() + interval '5 minutes', updated_at = now()
  FROM next WHERE tasks.id = next.id RETURNING tasks.*
), event AS (
  INSERT INTO events (type, workflow, item_id, task_id, payload)
  SELECT 'task.claimed', workflow, item_id, id, jsonb_build_object('reviewer', $2::text, 'assignment', assignment) FROM claimed
)
SELECT c.id, c.item_id, c.assignment, c.workflow, i.text, i.metadata FROM claimed c JOIN items i ON i.id = c.item_id`;

// The decision's version is the item's count of decisions plus one: with one review task per item
// that is 1, and a race would fail on the primary key rather than write a second version 1.
const answerSql = `
WITH closed AS (
  UPDATE tasks SET status = 'done', lease_expires_at = NULL, updated_at = now()
  WHERE id = $1::uuid AND status = 'leased' AND lease_owner = $2::uuid AND assignment = $3::int
  RETURNING id, item_id, workflow
), answer AS (
  INSERT INTO answers (id, task_id, item_id, reviewer_id, assignment, outcome)
  SELECT $4::uuid, id, item_id, $2::uuid, $3::int, $5::jsonb FROM closed
), item AS (
  UPDATE items SET status = 'decided' FROM closed WHERE items.id = closed.item_id RETURNING items.id, items.text
), decision AS (
  INSERT INTO decisions (item_id, version, source, outcome)
  SELECT item_id, 1 + (SELECT count(*) FROM decisions d WHERE d.item_id = closed.item_id), 'human', $5::jsonb FROM closed
  RETURNING version
), example AS (
  INSERT INTO examples (item_id, workflow, text, label) SELECT item.id, closed.workflow, item.text, $6::text FROM item, closed
  ON CONFLICT (item_id) DO UPDATE SET label = EXCLUDED.label
), event AS (
  INSERT INTO events (type, workflow, item_id, task_id, payload)
  SELECT t.type, closed.workflow, closed.item_id, closed.id, $5::jsonb FROM closed, (VALUES ('task.answered'), ('decision.made')) AS t(type)
)
SELECT closed.id, (SELECT version FROM decision) AS version FROM closed`;

const poolSize = Number(process.env.TANDEM_POOL_SIZE ?? 16);
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: poolSize });
pool.on('error', (err) => process.stderr.write(`floor: pool: ${err.message}\n`));

// FLOOR_BATCH=1: claims and answers that arrive while others are in flight go to Postgres together,
// one statement for many (as graphile-worker's localQueue and completeJobBatchDelay do); submits
// stay one by one, like the peer's addJob.
const claimBatchSql = `
WITH want AS (
  SELECT owner, ord FROM unnest($2::uuid[]) WITH ORDINALITY AS w(owner, ord)
), next AS (
  SELECT id, row_number() OVER () AS ord FROM (
    SELECT id FROM tasks WHERE status = 'open' AND workflow = $1::text
    ORDER BY priority DESC, due_at, created_at LIMIT cardinality($2::uuid[]) FOR UPDATE SKIP LOCKED) n
), claimed AS (
  UPDATE tasks SET status = 'leased', lease_owner = want.owner, assignment = assignment + 1,
         lease_expires_at = now() + interval '5 minutes', updated_at = now()
  FROM next JOIN want USING (ord) WHERE tasks.id = next.id RETURNING tasks.*, want.ord
), event AS (
  INSERT INTO events (type, workflow, item_id, task_id, payload)
  SELECT 'task.claimed', workflow, item_id, id, jsonb_build_object('reviewer', lease_owner::text, 'assignment', assignment) FROM claimed
)
SELECT c.ord, c.id, c.item_id, c.assignment, c.workflow, i.text, i.metadata FROM claimed c JOIN items i ON i.id = c.item_id`;

const answerBatchSql = `
WITH input AS (
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::uuid[], $5::jsonb[], $6::text[])
    AS x(task_id, owner, assignment, answer_id, outcome, label)
), closed AS (
  UPDATE tasks SET status = 'done', lease_expires_at = NULL, updated_at = now()
  FROM input WHERE tasks.id = input.task_id AND tasks.status = 'leased' AND tasks.lease_owner = input.owner AND tasks.assignment = input.assignment
  RETURNING tasks.id, tasks.item_id, tasks.workflow, input.owner, input.assignment, input.answer_id, input.outcome, input.label
), answer AS (
  INSERT INTO answers (id, task_id, item_id, reviewer_id, assignment, outcome)
  SELECT answer_id, id, item_id, owner, assignment, outcome FROM closed
), item AS (
  UPDATE items SET status = 'decided' FROM closed WHERE items.id = closed.item_id RETURNING items.id, items.text
), decision AS (
  INSERT INTO decisions (item_id, version, source, outcome)
  SELECT item_id, 1 + (SELECT count(*) FROM decisions d WHERE d.item_id = closed.item_id), 'human', outcome FROM closed
), example AS (
  INSERT INTO examples (item_id, workflow, text, label) SELECT item.id, closed.workflow, item.text, closed.label FROM item JOIN closed ON closed.item_id = item.id
  ON CONFLICT (item_id) DO UPDATE SET label = EXCLUDED.label
), event AS (
  INSERT INTO events (type, workflow, item_id, task_id, payload)
  SELECT t.type, closed.workflow, closed.item_id, closed.id, closed.outcome FROM closed, (VALUES ('task.answered'), ('decision.made')) AS t(type)
)
SELECT id FROM closed`;

// The same batching as Tandem's answers (src/engine/batcher.ts), so that the two are compared on it.
interface ClaimRow { id: string; item_id: string; assignment: number; workflow: string; text: string; metadata: unknown }

const batched = process.env.FLOOR_BATCH === '1';
// One claim batch at a time: batches that ran side by side each walked past the rows the others had locked.
const claimInBatch = createBatcher<{ workflow: string; owner: string }, ClaimRow | null>(async (inputs) => {
  // One workflow per batch in this bench; a mixed batch would be split by workflow.
  const r = await pool.query<ClaimRow & { ord: string }>(claimBatchSql, [inputs[0]!.workflow, inputs.map((i) => i.owner)]);
  const byOrd = new Map(r.rows.map((row) => [Number(row.ord), row]));
  return inputs.map((_, i) => byOrd.get(i + 1) ?? null);
}, { inFlight: 1 });
const answerInBatch = createBatcher<{ taskId: string; owner: string; assignment: number; label: string }, boolean>(async (inputs) => {
  const r = await pool.query<{ id: string }>(answerBatchSql, [
    inputs.map((i) => i.taskId), inputs.map((i) => i.owner), inputs.map((i) => i.assignment), inputs.map(() => randomUUID()),
    inputs.map((i) => JSON.stringify({ type: 'label', label: i.label })), inputs.map((i) => i.label),
  ]);
  const done = new Set(r.rows.map((row) => row.id));
  return inputs.map((i) => done.has(i.taskId));
});

const known = new Set<string>();
async function reviewer(req: IncomingMessage): Promise<string | null> {
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (!token) return null;
  if (token === 'service' || known.has(token)) return token;
  if (!/^[0-9a-f-]{36}$/.test(token)) return null;
  const r = await pool.query('SELECT 1 FROM reviewers WHERE id = $1::uuid', [token]);
  if (r.rowCount !== 1) return null;
  known.add(token);
  return token;
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (s += c));
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, payload?: unknown): void {
  const text = payload === undefined ? '' : JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

// The dashboards' live feed: queue depth once a second to every open stream, one query per process.
const streams = new Set<ServerResponse>();
setInterval(() => {
  if (streams.size === 0) return;
  void pool.query<{ n: string }>("SELECT count(*) AS n FROM tasks WHERE status = 'open'").then(
    (r) => {
      for (const s of streams) s.write(`event: queues\ndata: {"open":${r.rows[0]!.n}}\n\n`);
    },
    () => {},
  );
}, 1000).unref();

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  if (req.method === 'GET' && url === '/healthz') return send(res, 200, { ok: true });
  const who = await reviewer(req);
  if (!who) return send(res, 401, { title: 'unauthorized' });
  if (req.method === 'GET' && url === '/v1/events/stream') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    streams.add(res);
    req.on('close', () => streams.delete(res));
    return;
  }
  if (req.method !== 'POST') return send(res, 404, { title: 'not found' });
  const input = JSON.parse((await body(req)) || '{}') as Record<string, unknown>;
  const submit = /^\/v1\/workflows\/([^/]+)\/items$/.exec(url);
  if (submit) {
    const r = await pool.query(submitSql, [
      randomUUID(), decodeURIComponent(submit[1]!), String(input.text ?? ''), JSON.stringify(input.metadata ?? {}),
      req.headers['idempotency-key'] ?? null, randomUUID(),
    ]);
    return send(res, 201, { id: r.rows[0]?.id ?? null });
  }
  if (url === '/v1/tasks/claim') {
    if (who === 'service') return send(res, 403, { title: 'reviewers claim' });
    const row = batched
      ? await claimInBatch({ workflow: String(input.workflow ?? ''), owner: who })
      : ((await pool.query<ClaimRow>(claimSql, [String(input.workflow ?? ''), who])).rows[0] ?? null);
    if (!row) return send(res, 204);
    return send(res, 200, { task: { id: row.id, assignment: row.assignment, workflow: row.workflow }, item: { id: row.item_id, text: row.text, metadata: row.metadata } });
  }
  const answer = /^\/v1\/tasks\/([0-9a-f-]{36})\/answer$/.exec(url);
  if (answer) {
    const label = String(input.label ?? '');
    if (batched) {
      const ok = await answerInBatch({ taskId: answer[1]!, owner: who, assignment: Number(input.assignment), label });
      return ok ? send(res, 200, { taskId: answer[1] }) : send(res, 409, { title: 'the lease is not yours' });
    }
    const r = await pool.query(answerSql, [answer[1]!, who, Number(input.assignment), randomUUID(), JSON.stringify({ type: 'label', label }), label]);
    if (r.rowCount !== 1) return send(res, 409, { title: 'the lease is not yours' });
    return send(res, 200, { taskId: answer[1], version: (r.rows[0] as { version: number }).version });
  }
  return send(res, 404, { title: 'not found' });
}

const server = createServer((req, res) => {
  handle(req, res).catch((err: unknown) => {
    process.stderr.write(`floor: ${err instanceof Error ? err.message : String(err)}\n`);
    if (!res.headersSent) send(res, 500, { title: 'error' });
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), process.env.TANDEM_HOST ?? '127.0.0.1');
process.on('SIGTERM', () => {
  for (const s of streams) s.end();
  server.close(() => void pool.end().then(() => process.exit(0)));
  setTimeout(() => process.exit(0), 3000).unref();
});
