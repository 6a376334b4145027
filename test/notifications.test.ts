// Chat notifications against a local stand-in for Slack's incoming webhooks (node:http on
// 127.0.0.1): the Slack and JSON payload shapes and escaping, batching, the per-target rate
// limit, and a target that is down and then up.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { startNotifier, type Notifier } from '../src/engine/notifications.ts';
import { insertEvents, type NewEvent } from '../src/store/events.ts';
import { countPending } from '../src/store/notifications.ts';
import { adminKey, client, eventually, freePort, freshDb, labelWorkflow, person, startApp, type TestApp, type TestDb } from './harness.ts';

interface SlackBody {
  text: string;
  blocks: Array<{ type: string; text: { type: string; text: string } }>;
}

/** A stand-in chat server that keeps every JSON body; it can be down (not listening). */
class StandIn {
  readonly got: unknown[] = [];
  private server: Server | null = null;
  constructor(readonly port: number) {}
  get url() {
    return `http://127.0.0.1:${this.port}/services/T000/B000/XXXX`;
  }
  async up() {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const ok = req.method === 'POST' && req.headers['content-type'] === 'application/json';
        if (ok) this.got.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(ok ? 200 : 400).end(ok ? 'ok' : 'bad');
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }
  async down() {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => { s.close(() => resolve()); s.closeAllConnections(); });
  }
}

/** Slack's shape: a string fallback `text` and mrkdwn section blocks, with no unescaped `<`, `>` or bare `&`. */
function assertSlack(body: unknown): SlackBody {
  const b = body as SlackBody;
  assert.equal(typeof b.text, 'string');
  assert.ok(Array.isArray(b.blocks) && b.blocks.length >= 1 && b.blocks.length <= 50);
  for (const s of [b.text, ...b.blocks.map((x) => x.text.text)]) {
    assert.ok(!/[<>]/.test(s), `unescaped angle bracket in ${s}`);
    assert.ok(!/&(?!amp;|lt;|gt;)/.test(s), `bare & in ${s}`);
  }
  for (const x of b.blocks) {
    assert.equal(x.type, 'section');
    assert.equal(x.text.type, 'mrkdwn');
  }
  return b;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('chat notifications (pglite)', () => {
  let t: TestDb;
  let app: TestApp;
  let admin: ReturnType<typeof client>;
  let notifier: Notifier | null = null;
  const standIns: StandIn[] = [];

  const standIn = async () => {
    const s = new StandIn(await freePort());
    await s.up();
    standIns.push(s);
    return s;
  };
  const notify = async () => {
    await notifier?.stop();
    notifier = startNotifier(t.db, { intervalMs: 30, baseDelayMs: 50, maxDelayMs: 300, random: () => 1 }, (err) => console.error(err));
  };
  const target = async (body: Record<string, unknown>) => {
    const res = await admin.post('/v1/notification-targets', body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string };
  };
  const urgent = (workflow: string, queue: string): NewEvent => ({ type: 'task.created', workflow, payload: { kind: 'review', queue, priority: 10 } });

  before(async () => {
    t = await freshDb('pglite');
    app = await startApp(t.db);
    admin = client(app.url, adminKey);
    for (const wf of ['slack', 'json', 'rate', 'down', 'batch']) assert.equal((await admin.post('/v1/workflows', labelWorkflow(wf))).status, 201);
    await notify();
  });
  after(async () => {
    await notifier?.stop();
    for (const s of standIns) await s.down();
    await app.close();
    await t.drop();
  });

  test('targets: admins and leads manage them; bad input is a 4xx', async () => {
    assert.equal((await admin.post('/v1/notification-targets', { format: 'teams', url: 'http://127.0.0.1:1/x' })).status, 400);
    const badUrl = await admin.post('/v1/notification-targets', { format: 'slack', url: 'javascript:alert(1)' });
    assert.equal(badUrl.status, 400);
    assert.match(JSON.stringify(badUrl.body), /url/);
    const lead = await person(t.db, 'lead', ['slack']);
    const asLead = client(app.url, lead.token);
    assert.equal((await asLead.post('/v1/notification-targets', { format: 'slack', url: 'http://127.0.0.1:1/x' })).status, 403, 'all-workflow targets are for admins');
    assert.equal((await asLead.post('/v1/notification-targets', { format: 'slack', url: 'http://127.0.0.1:1/x', workflow: 'json' })).status, 404);
    const mine = await asLead.post('/v1/notification-targets', { format: 'slack', url: 'http://127.0.0.1:1/x', workflow: 'slack' });
    assert.equal(mine.status, 201);
    assert.equal(mine.body.windowSeconds, 10);
    assert.deepEqual((await asLead.get('/v1/notification-targets')).body.targets.map((x: { id: string }) => x.id), [mine.body.id]);
    const reviewer = await person(t.db, 'reviewer', ['slack']);
    assert.equal((await client(app.url, reviewer.token).del(`/v1/notification-targets/${mine.body.id}`)).status, 403);
    assert.equal((await asLead.del(`/v1/notification-targets/${mine.body.id}`)).status, 204);
    assert.equal((await admin.get(`/v1/notification-targets/${mine.body.id}`)).status, 404);
  });

  test('slack: notable events of a window go out as one escaped message; others are left out', async () => {
    const s = await standIn();
    await target({ format: 'slack', url: s.url, workflow: 'slack', windowSeconds: 1 });
    await insertEvents(t.db, [urgent('slack', '<!channel> & <b>')]);
    await insertEvents(t.db, [{ type: 'task.created', workflow: 'slack', payload: { kind: 'review', queue: 'q', priority: 0 } }]); // not urgent
    await insertEvents(t.db, [{ type: 'decision.made', workflow: 'slack', payload: {} }]);
    await insertEvents(t.db, [{ type: 'task.overdue', workflow: 'slack', payload: { dueAt: '2026-01-01T00:00:00Z' } }]);
    await insertEvents(t.db, [{ type: 'reviewer.demoted', workflow: 'slack', payload: { email: '<@U0>@evil.example', accuracy: 0.55, floor: 0.8, answers: 20 } }]);
    await insertEvents(t.db, [{ type: 'task.created', workflow: 'slack', payload: { kind: 'escalation', queue: 'seniors' } }]);
    await insertEvents(t.db, [urgent('json', 'elsewhere')]); // another workflow
    await eventually(async () => (s.got.length >= 1 ? true : undefined), 10_000, 'a slack message');
    await sleep(1500);
    assert.equal(s.got.length, 1, 'one message for the whole burst');
    const m = assertSlack(s.got[0]);
    assert.equal(m.blocks.length, 4);
    assert.equal(m.text, '4 Tandem notifications (slack)');
    const texts = m.blocks.map((b) => b.text.text);
    assert.match(texts[0]!, /^:rotating_light: Urgent review task \(priority 10\) waits in queue &lt;!channel&gt; &amp; &lt;b&gt; of slack$/);
    assert.match(texts[1]!, /^:hourglass: SLA breached in slack/);
    assert.match(texts[2]!, /^:arrow_down: Reviewer &lt;@U0&gt;@evil\.example was demoted in slack: gold accuracy 55% below 80% over 20 answers$/);
    assert.match(texts[3]!, /^:rotating_light: Escalation waits in queue seniors of slack/);
  });

  test('json: the generic format carries the events', async () => {
    const s = await standIn();
    await target({ format: 'json', url: s.url, workflow: 'json', windowSeconds: 0 });
    await insertEvents(t.db, [urgent('json', '<q>'), { type: 'task.overdue', workflow: 'json', taskId: null, payload: { dueAt: 'x' } }]);
    await eventually(async () => (s.got.length >= 1 ? true : undefined), 10_000, 'a json message');
    const body = s.got[0] as { events: Array<{ type: string; kind: string; summary: string; workflow: string; payload: Record<string, unknown>; createdAt: string }> };
    assert.deepEqual(Object.keys(body), ['events']);
    assert.deepEqual(body.events.map((e) => [e.type, e.kind, e.workflow]), [['task.created', 'urgent_task', 'json'], ['task.overdue', 'sla_breach', 'json']]);
    assert.equal(body.events[0]!.payload.queue, '<q>');
    assert.ok(!Number.isNaN(Date.parse(body.events[0]!.createdAt)));
  });

  test('rate limit: at most perMinute messages a minute; the rest wait, batched', async () => {
    const s = await standIn();
    const tg = await target({ format: 'slack', url: s.url, workflow: 'rate', windowSeconds: 0, perMinute: 2 });
    for (let i = 0; i < 5; i++) {
      await insertEvents(t.db, [urgent('rate', `q${i}`)]);
      await sleep(250);
    }
    await eventually(async () => (s.got.length >= 2 ? true : undefined), 10_000, 'two messages');
    await sleep(800);
    assert.equal(s.got.length, 2, 'the third message waits for the minute to pass');
    const sent = s.got.map((b) => assertSlack(b).blocks.length).reduce((a, b) => a + b, 0);
    assert.equal(await countPending(t.db, tg.id), 5 - sent, 'the rest wait in the queue, none lost');
    assert.ok(5 - sent >= 1);
  });

  test('a target that is down gets every message once it is up, each event once', async () => {
    const s = await standIn();
    await s.down();
    const tg = await target({ format: 'slack', url: s.url, workflow: 'down', windowSeconds: 0 });
    await insertEvents(t.db, [urgent('down', 'a')]);
    await sleep(300);
    await insertEvents(t.db, [urgent('down', 'b'), urgent('down', 'c')]);
    await sleep(400);
    const failed = await t.db.query<{ attempts: number; last_error: string | null }>(`SELECT attempts, last_error FROM notifications WHERE target_id = $1::uuid`, [tg.id]);
    assert.ok(failed.some((r) => r.attempts > 0 && r.last_error), 'attempts were made while down');
    await s.up();
    await eventually(async () => ((await countPending(t.db, tg.id)) === 0 ? true : undefined), 10_000, 'queue drained');
    const queues = s.got.flatMap((b) => assertSlack(b).blocks.map((x) => /queue (\w+) of/.exec(x.text.text)?.[1]));
    assert.deepEqual(queues, ['a', 'b', 'c']);
  });
});
