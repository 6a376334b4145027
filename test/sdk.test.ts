// The TypeScript SDK (src/sdk) against a real server on PGlite: submit, get, waitForDecision while
// a reviewer answers over HTTP, a wait that survives a dropped connection, requireApproval's
// approve / edit / reject, and verifyWebhook against the server's own webhook signer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { newWebhookSecret, signatureHeader } from '../src/engine/webhooks.ts';
import { ApprovalRejectedError, createClient, DecisionTimeoutError, requireApproval, sdkRoutes, TandemError, verifyWebhook, type Client } from '../src/sdk/index.ts';
import { adminKey, client, eventually, freePort, freshDb, person, startApp, type TestApp, type TestDb } from './harness.ts';

const workflow = 'refunds';

/** A TCP proxy in front of the server that can be stopped (every connection cut) and started again. */
class Proxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  connections = 0;
  constructor(readonly port: number, readonly target: number) {}
  get url() {
    return `http://127.0.0.1:${this.port}`;
  }
  async start() {
    const server = createServer((inbound) => {
      this.connections++;
      const outbound = connect(this.target, '127.0.0.1');
      for (const s of [inbound, outbound]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      inbound.pipe(outbound).pipe(inbound);
      inbound.on('close', () => outbound.destroy());
      outbound.on('close', () => inbound.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }
  async stop() {
    const s = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}


describe('TypeScript SDK (pglite)', () => {
  let t: TestDb;
  let app: TestApp;
  let sdk: Client;
  let reviewer: ReturnType<typeof client>;

  before(async () => {
    t = await freshDb('pglite');
    app = await startApp(t.db);
    const admin = client(app.url);
    const created = await admin.post('/v1/workflows', {
      name: workflow,
      answerType: 'approve',
      inputSchema: { type: 'object', required: ['orderId', 'amount'], properties: { orderId: { type: 'string' }, amount: { type: 'number' } } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    reviewer = client(app.url, (await person(t.db, 'reviewer', [workflow])).token);
    sdk = createClient({ baseUrl: app.url, token: adminKey });
  });
  after(async () => {
    await app.close();
    await t.drop();
  });

  /** Claims the item's review task (once the SDK has filed it) and answers it as a reviewer. */
  const answerNext = async (answer: Record<string, unknown>) => {
    const claimed = await eventually(async () => {
      const r = await reviewer.post('/v1/tasks/claim', { workflow });
      return r.status === 200 ? r.body : undefined;
    }, 10_000, 'a task to claim');
    const res = await reviewer.post(`/v1/tasks/${claimed.task.id}/answer`, { assignment: claimed.task.assignment, ...answer });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return claimed.item as { id: string; text: string; fields: Record<string, unknown>; metadata: Record<string, unknown> };
  };

  test('the routes the SDK calls are in the served OpenAPI document', async () => {
    const doc = (await client(app.url, null).get('/v1/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    for (const r of sdkRoutes) assert.ok(doc.paths[r.path]?.[r.method], `${r.method.toUpperCase()} ${r.path} is in the OpenAPI document`);
  });

  test('submit, get, and waitForDecision while a reviewer answers over HTTP', async () => {
    const s = await sdk.submit(workflow, { text: 'refund order A1', fields: { orderId: 'A1', amount: 12 } }, { idempotencyKey: 'sdk-a1' });
    assert.equal(s.created, true);
    assert.equal(s.status, 'pending');
    assert.equal(s.route.route, 'review');
    const again = await sdk.submit(workflow, { text: 'refund order A1', fields: { orderId: 'A1', amount: 12 } }, { idempotencyKey: 'sdk-a1' });
    assert.equal(again.created, false);
    assert.equal(again.id, s.id);

    const item = await sdk.get(s.id);
    assert.equal(item.status, 'pending');
    assert.deepEqual(item.input.fields, { orderId: 'A1', amount: 12 });
    assert.equal(item.idempotencyKey, 'sdk-a1');

    const started = Date.now();
    const waiting = sdk.waitForDecision(s.id, { timeoutMs: 20_000, pollSeconds: 5 });
    await new Promise((r) => setTimeout(r, 300));
    await answerNext({ verdict: 'approve' });
    const d = await waiting;
    assert.ok(Date.now() - started < 5_000, 'the long poll returned when the decision was made, not at the end of its wait');
    assert.equal(d.itemId, s.id);
    assert.equal(d.source, 'human');
    assert.deepEqual(d.outcome, { type: 'approve', verdict: 'approve' });
    assert.equal((await sdk.get(s.id)).decision?.id, d.id);
  });

  test('a server refusal is a TandemError with the problem document; a wait gives up at its timeout', async () => {
    await assert.rejects(sdk.submit(workflow, { fields: { orderId: 'A2' } }), (err: unknown) => {
      assert.ok(err instanceof TandemError);
      assert.equal(err.status, 400);
      assert.ok(err.problem.errors?.some((e) => e.path.includes('amount')), JSON.stringify(err.problem));
      return true;
    });
    await assert.rejects(sdk.get('00000000-0000-4000-8000-000000000000'), (err: unknown) => err instanceof TandemError && err.status === 404);
    const s = await sdk.submit(workflow, { fields: { orderId: 'A3', amount: 1 } });
    const started = Date.now();
    await assert.rejects(sdk.waitForDecision(s.id, { timeoutMs: 1_200 }), (err: unknown) => err instanceof DecisionTimeoutError && err.itemId === s.id);
    assert.ok(Date.now() - started < 4_000);
    const aborter = new AbortController();
    const aborted = sdk.waitForDecision(s.id, { timeoutMs: 20_000, signal: aborter.signal });
    setTimeout(() => aborter.abort(new Error('caller gave up')), 200);
    await assert.rejects(aborted, /caller gave up/);
    await answerNext({ verdict: 'reject' }); // leaves no open task behind for the next tests
  });

  test('waitForDecision reconnects after the connection drops and gets the decision', async () => {
    const proxy = new Proxy(await freePort(), Number(new URL(app.url).port));
    await proxy.start();
    try {
      const viaProxy = createClient({ baseUrl: proxy.url, token: adminKey });
      const s = await viaProxy.submit(workflow, { fields: { orderId: 'B1', amount: 30 } });
      const waiting = viaProxy.waitForDecision(s.id, { timeoutMs: 30_000, pollSeconds: 10 });
      await new Promise((r) => setTimeout(r, 500)); // the long poll is held by the server by now
      await proxy.stop(); // the held poll is cut, and reconnects are refused for a while
      await new Promise((r) => setTimeout(r, 1_000));
      await answerNext({ verdict: 'approve', note: 'fine' }); // decided while the SDK cannot reach the server
      const before = proxy.connections;
      await proxy.start();
      const d = await waiting;
      assert.deepEqual(d.outcome, { type: 'approve', verdict: 'approve' });
      assert.ok(proxy.connections > before, 'the SDK reconnected through the restarted proxy');
    } finally {
      await proxy.stop();
    }
  });

  test('requireApproval: approve runs the function with the arguments, and not before', async () => {
    const runs: { orderId: string; amount: number }[] = [];
    const refund = requireApproval(async function refund(args: { orderId: string; amount: number }) {
      runs.push(args);
      return { refunded: args.amount };
    }, { client: sdk, workflow, timeoutMs: 20_000, pollSeconds: 5 });
    const result = refund({ orderId: 'C1', amount: 40 });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(runs.length, 0, 'nothing runs before a person approves');
    const item = await answerNext({ verdict: 'approve' });
    assert.deepEqual(item.fields, { orderId: 'C1', amount: 40 });
    assert.equal(item.text, 'refund(orderId: C1, amount: 40)');
    assert.equal(item.metadata.action, 'refund');
    assert.deepEqual(await result, { refunded: 40 });
    assert.deepEqual(runs, [{ orderId: 'C1', amount: 40 }]);
  });

  test('requireApproval: edit runs the function with the edited arguments; extra arguments pass through', async () => {
    const runs: unknown[][] = [];
    const refund = requireApproval(async (args: { orderId: string; amount: number }, ctx: { toolCallId: string }) => {
      runs.push([args, ctx]);
      return args.amount;
    }, { client: sdk, workflow, name: 'refund', timeoutMs: 20_000, pollSeconds: 5 });
    const result = refund({ orderId: 'D1', amount: 900 }, { toolCallId: 'call-1' });
    await answerNext({ verdict: 'edit', edited: { orderId: 'D1', amount: 90 } });
    assert.equal(await result, 90);
    assert.deepEqual(runs, [[{ orderId: 'D1', amount: 90 }, { toolCallId: 'call-1' }]]);
  });

  test('requireApproval: reject throws ApprovalRejectedError with the reviewer\'s reason and never runs the function', async () => {
    let ran = false;
    const refund = requireApproval(async (_args: { orderId: string; amount: number }) => {
      ran = true;
    }, { client: sdk, workflow, name: 'refund', timeoutMs: 20_000, pollSeconds: 5, idempotencyKey: (a) => `refund-${a.orderId}` });
    const result = refund({ orderId: 'E1', amount: 5000 });
    const item = await answerNext({ verdict: 'reject', note: 'over the refund limit, ask a lead' });
    await assert.rejects(result, (err: unknown) => {
      assert.ok(err instanceof ApprovalRejectedError);
      assert.equal(err.reason, 'over the refund limit, ask a lead');
      assert.equal(err.itemId, item.id);
      assert.equal(err.decision.source, 'human');
      return true;
    });
    assert.equal(ran, false);
    // The same call again (same idempotency key) finds the decided item and is rejected at once, without a new task.
    await assert.rejects(refund({ orderId: 'E1', amount: 5000 }), (err: unknown) => err instanceof ApprovalRejectedError && err.itemId === item.id);
    assert.equal((await reviewer.post('/v1/tasks/claim', { workflow })).status, 204);
    assert.equal(ran, false);
  });

  /** Runs an example (it imports tandem/sdk, the built dist/sdk) and answers its approval item as a reviewer. */
  const runExample = async (file: string, answers: Record<string, unknown>[], env: Record<string, string> = {}) => {
    const admin = client(app.url);
    if ((await admin.get('/v1/workflows/refund-approval')).status === 404) {
      // What the examples create themselves (they take a 409 as "there already"); a reviewer's membership needs it first.
      const res = await admin.post('/v1/workflows', { name: 'refund-approval', answerType: 'approve' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    const examples = client(app.url, (await person(t.db, 'reviewer', ['refund-approval'])).token);
    const child = spawn(process.execPath, [file], { env: { ...process.env, TANDEM_URL: app.url, TANDEM_TOKEN: adminKey, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const fields: Record<string, unknown>[] = [];
      for (const answer of answers) {
        const claimed = await eventually(async () => {
          const r = await examples.post('/v1/tasks/claim', { workflow: 'refund-approval' });
          return r.status === 200 ? r.body : undefined;
        }, 15_000, `${file} to file an approval item (output: ${out})`);
        const res = await examples.post(`/v1/tasks/${claimed.task.id}/answer`, { assignment: claimed.task.assignment, ...answer });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        fields.push(claimed.item.fields);
      }
      assert.equal(await exited, 0, out);
      return { out, fields };
    } finally {
      child.kill();
    }
  };

  test('examples/sdk-basic.mjs: submit and wait, then requireApproval', async () => {
    const { out, fields } = await runExample('examples/sdk-basic.mjs', [{ verdict: 'approve' }, { verdict: 'reject', note: 'too much' }]);
    assert.equal(fields[1]?.orderId, 'B-7');
    assert.match(out, /decided by human \(.+\): \{"type":"approve","verdict":"approve"\}/);
    assert.match(out, /rejected: too much/);
  });

  test('examples/agent-vercel-ai.mjs: the tool runs with the reviewer\'s edit', async () => {
    const { out, fields } = await runExample('examples/agent-vercel-ai.mjs', [{ verdict: 'edit', edited: { orderId: 'V-1', amount: 60 } }], { ORDER_ID: 'V-1', AMOUNT: '120' });
    assert.deepEqual(fields, [{ orderId: 'V-1', amount: 120 }]);
    assert.match(out, /tool result: \{"status":"refunded","orderId":"V-1","amount":60\}/);
  });

  test('examples/agent-langchain.mjs: a rejection reaches the agent with its reason', async () => {
    const { out } = await runExample('examples/agent-langchain.mjs', [{ verdict: 'reject', note: 'customer already refunded' }], { ORDER_ID: 'L-1', AMOUNT: '80' });
    assert.match(out, /tool output: The refund was rejected by a person: customer already refunded/);
  });

  test('verifyWebhook accepts the server\'s signature and rejects a tampered body or a wrong secret', () => {
    const secret = newWebhookSecret();
    const body = JSON.stringify({ type: 'decision.made', timestamp: new Date().toISOString(), data: { eventId: 'e1', workflow, itemId: 'i1', taskId: null } });
    const at = new Date();
    const headers = {
      'webhook-id': 'e1',
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signatureHeader({ secret, previous_secret: null, previous_secret_until: null }, 'e1', at, body),
    };
    const event = verifyWebhook(body, headers, secret);
    assert.equal(event.type, 'decision.made');
    assert.equal(event.data.eventId, 'e1');
    assert.equal(verifyWebhook(new TextEncoder().encode(body), new Headers(headers), secret).data.itemId, 'i1');
    assert.throws(() => verifyWebhook(body.replace('i1', 'i2'), headers, secret));
    assert.throws(() => verifyWebhook(body, headers, newWebhookSecret()));
    assert.throws(() => verifyWebhook(body, { ...headers, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000) - 3600) }, secret));
  });
});
