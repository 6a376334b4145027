// OpenTelemetry over its real protocol: `tandem serve` with OTEL_EXPORTER_OTLP_ENDPOINT pointing
// at a local OTLP/HTTP receiver gets tandem.submit → tandem.predict, tandem.answer →
// tandem.decision, the decision linked to the submit's trace through the item's stored traceparent.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { configFromEnv } from '../src/cli/config.ts';
import { serve, type Running } from '../src/cli/serve.ts';
import { adminKey, client, eventually, freePort, labelWorkflow, person } from './harness.ts';
import { startScorer, type Scorer } from './scorer.ts';

interface OtlpValue { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean }
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: OtlpValue }[];
  links?: { traceId: string; spanId: string }[];
}
interface Received { contentType: string; spans: OtlpSpan[]; serviceName: string | undefined }

/** A stand-in OTLP/HTTP collector: accepts POST /v1/traces with JSON bodies, keeps the spans. */
async function startReceiver(port: number): Promise<{ server: Server; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      const contentType = req.headers['content-type'] ?? '';
      if (!contentType.startsWith('application/json')) {
        res.writeHead(415).end();
        return;
      }
      const body = JSON.parse(raw.toString('utf8')) as {
        resourceSpans: { resource?: { attributes?: { key: string; value: OtlpValue }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      for (const rs of body.resourceSpans) {
        const serviceName = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue;
        received.push({ contentType, serviceName, spans: rs.scopeSpans.flatMap((s) => s.spans) });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, received };
}

function attr(span: OtlpSpan, key: string): string | number | boolean | undefined {
  const v = span.attributes?.find((a) => a.key === key)?.value;
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  return v.boolValue;
}

function only(spans: OtlpSpan[], name: string, itemId: string): OtlpSpan {
  const found = spans.filter((s) => s.name === name && attr(s, 'tandem.item.id') === itemId);
  assert.equal(found.length, 1, `one ${name} span for the item, got ${found.length}: ${spans.map((s) => s.name).join(', ')}`);
  return found[0]!;
}

async function serveWith(env: Record<string, string>, dataDir: string): Promise<Running> {
  const config = configFromEnv({ PORT: '0', TANDEM_DATA_DIR: dataDir, TANDEM_ADMIN_KEY: adminKey, ...env });
  return serve(config, { workflowFiles: [], demo: false, log: () => {} });
}

describe('OpenTelemetry traces', () => {
  const dirs: string[] = [];
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let port: number;
  let scorer: Scorer;
  before(async () => {
    port = await freePort();
    receiver = await startReceiver(port);
    // Unsure between two labels: the item goes to review with the model's suggestion.
    scorer = await startScorer({ kind: 'labels', labels: { billing: 0.6, bug: 0.4 } });
  });
  after(async () => {
    await scorer.close();
    await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'tandem-trace-'));
    dirs.push(d);
    return d;
  };

  test('submit → predict and answer → decision reach the OTLP endpoint, the decision linked to the submit', async () => {
    const running = await serveWith({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` }, dataDir());
    try {
      assert.ok(running.tracing, 'tracing is on with an endpoint');
      assert.equal(running.tracing.url, `http://127.0.0.1:${port}/v1/traces`);
      const admin = client(running.url);
      assert.equal((await admin.post('/v1/workflows', labelWorkflow('wf-trace', { model: { type: 'http', url: scorer.url, timeoutMs: 2000 } }))).status, 201);
      const r = await admin.post('/v1/workflows/wf-trace/items', { text: 'something nobody has labelled yet' });
      assert.equal(r.status, 201);
      assert.equal(r.body.route.route, 'review');
      const itemId: string = r.body.id;

      const rev = await person(running.engine.db, 'reviewer', ['wf-trace']);
      const reviewer = client(running.url, rev.token);
      const c = await reviewer.post('/v1/tasks/claim', { workflow: 'wf-trace' });
      assert.equal(c.status, 200);
      const a = await reviewer.post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: c.body.task.assignment, label: 'bug' });
      assert.equal(a.status, 200);
      assert.equal(a.body.decision.source, 'human');

      const fix = await admin.post(`/v1/items/${itemId}/decisions`, { label: 'billing', reason: 'an invoice after all' });
      assert.equal(fix.status, 201);

      await running.tracing.flush();
      const batches = receiver.received;
      assert.ok(batches.length > 0, 'the receiver got spans');
      assert.ok(batches.every((b) => b.contentType.startsWith('application/json') && b.serviceName === 'tandem'));
      const spans = batches.flatMap((b) => b.spans);

      const submit = only(spans, 'tandem.submit', itemId);
      assert.equal(attr(submit, 'tandem.workflow'), 'wf-trace');
      assert.equal(attr(submit, 'tandem.route'), 'review');
      assert.equal(attr(submit, 'tandem.item.created'), true);
      assert.equal(submit.parentSpanId ?? '', '', 'submit is a root span');

      const predict = only(spans, 'tandem.predict', itemId);
      assert.equal(predict.traceId, submit.traceId);
      assert.equal(predict.parentSpanId, submit.spanId);
      assert.equal(attr(predict, 'tandem.model'), `http:${scorer.url}`);
      assert.equal(attr(predict, 'tandem.model.label'), 'billing');
      assert.equal(attr(predict, 'tandem.model.confidence'), 0.6);
      assert.equal(attr(submit, 'tandem.model.label'), 'billing');
      assert.equal(attr(submit, 'tandem.model.confidence'), 0.6);

      const answer = only(spans, 'tandem.answer', itemId);
      assert.equal(attr(answer, 'tandem.task.id'), c.body.task.id);
      assert.equal(attr(answer, 'tandem.task.kind'), 'review');
      assert.equal(attr(answer, 'tandem.decided'), true);

      const decisions = spans.filter((s) => s.name === 'tandem.decision' && attr(s, 'tandem.item.id') === itemId);
      assert.equal(decisions.length, 2, 'the answer\'s decision and the correction');
      const decision = decisions.find((s) => attr(s, 'tandem.decision.source') === 'human')!;
      const correction = decisions.find((s) => attr(s, 'tandem.decision.source') === 'lead')!;
      assert.equal(attr(correction, 'tandem.decision.version'), 2);
      assert.deepEqual((correction.links ?? []).map((l) => [l.traceId, l.spanId]), [[submit.traceId, submit.spanId]]);
      assert.equal(decision.parentSpanId, answer.spanId);
      assert.equal(decision.traceId, answer.traceId);
      assert.equal(attr(decision, 'tandem.decision.source'), 'human');
      assert.equal(attr(decision, 'tandem.decision.version'), 1);
      assert.deepEqual(
        (decision.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
        [{ traceId: submit.traceId, spanId: submit.spanId }],
        'the decision links to the submit span',
      );

      // The link comes from the database, so a decision made by any process finds it.
      const rows = await running.engine.db.query<{ trace_parent: string | null }>(`SELECT trace_parent FROM items WHERE id = $1::uuid`, [itemId], 'test');
      assert.match(rows[0]?.trace_parent ?? '', new RegExp(`^00-${submit.traceId}-${submit.spanId}-0[01]$`));
    } finally {
      await running.stop();
    }
  });

  test('examples/otlp-print.mjs, as the collector, prints the spans Tandem sends', async () => {
    const examplePort = await freePort();
    const child = spawn(process.execPath, ['examples/otlp-print.mjs'], { env: { ...process.env, PORT: String(examplePort) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    try {
      await eventually(async () => (out.includes('collector on') ? true : undefined), 10_000, 'the example collector to listen');
      const running = await serveWith({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${examplePort}` }, dataDir());
      try {
        const admin = client(running.url);
        assert.equal((await admin.post('/v1/workflows', labelWorkflow('wf-example', { model: { type: 'http', url: scorer.url, timeoutMs: 2000 } }))).status, 201);
        assert.equal((await admin.post('/v1/workflows/wf-example/items', { text: 'printed by the example' })).status, 201);
        await running.tracing!.flush();
        await eventually(async () => (/tandem\.submit .*"tandem\.workflow":"wf-example"/.test(out) ? true : undefined), 10_000, 'the submit span printed').catch((err) => { throw new Error(`${String(err)}; printed:\n${out}`); });
        assert.match(out, /^ {2}tandem\.predict /m, 'the model call printed under its submit');
      } finally {
        await running.stop();
      }
    } finally {
      child.kill('SIGINT');
    }
  });

  test('without an endpoint there is no provider: nothing is sent and no traceparent is stored', async () => {
    const before = receiver.received.length;
    const running = await serveWith({}, dataDir());
    try {
      assert.equal(running.tracing, null);
      const admin = client(running.url);
      await admin.post('/v1/workflows', labelWorkflow('wf-quiet'));
      const r = await admin.post('/v1/workflows/wf-quiet/items', { text: 'nothing traced' });
      assert.equal(r.status, 201);
      const rows = await running.engine.db.query<{ trace_parent: string | null }>(`SELECT trace_parent FROM items WHERE id = $1::uuid`, [r.body.id], 'test');
      assert.equal(rows[0]?.trace_parent, null);
    } finally {
      await running.stop();
    }
    assert.equal(receiver.received.length, before);
  });
});
