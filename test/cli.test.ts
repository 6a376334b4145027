// The tandem command as a newcomer meets it: first start on an embedded database (admin password
// printed once, demo loaded, OpenAPI served), workflow files, users and keys, clear usage errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client, eventually, freePort, freshDb, labelWorkflow, person, startApp } from './harness.ts';
import { insertWorkflow } from '../src/store/workflows.ts';
import { workflowSpec } from '../src/core/workflow.ts';

const main = ['--import', 'tsx', 'src/cli/main.ts'];


/** How the demo's live messages were routed so far, from the workflow's statistics. */
async function readDemoRoutes(me: ReturnType<typeof client>): Promise<{ auto: number; review: number }> {
  const stats = (await me.get('/v1/workflows/support-triage/stats')).body;
  return { auto: stats.routes.auto, review: stats.routes.review };
}

describe('tandem serve on an embedded database', () => {
  let dir: string;
  let child: ChildProcess;
  let output = '';
  let url: string;
  const env = () => ({ ...process.env, DATABASE_URL: '', TANDEM_DATA_DIR: join(dir, 'data'), TANDEM_ADMIN_KEY: '', TANDEM_DEMO_INTERVAL_MS: '30' });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tandem-cli-'));
    writeFileSync(
      join(dir, 'flows.yaml'),
      ['- name: refunds', '  answerType: approve', '  inputSchema:', '    type: object', '    required: [amount]', '    properties:', '      amount: { type: number }', '  policy:', '    rules: ["amount > 500"]', ''].join('\n'),
    );
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [...main, 'serve', '--port', String(port), '--workflows', join(dir, 'flows.yaml')], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    // Generous: tsx compiles the sources and PGlite compiles its WebAssembly on first start, which took
    // over a minute when the two-core machine was busy with the other test files.
    await eventually(async () => (output.includes('Tandem is serving') ? true : undefined), 180_000, `the server to start; output so far:\n${output}`);
  });
  after(async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  });

  test('prints the first admin password once, loads the demo and the workflow file, serves OpenAPI', async () => {
    const match = /email: (\S+)\s+password: (\S+)/.exec(output);
    assert.ok(match, output);
    const doc = await client(url, null).get('/v1/openapi.json');
    assert.equal(doc.status, 200);
    assert.equal(doc.body.openapi, '3.1.0');
    for (const path of ['/v1/workflows', '/v1/workflows/{name}/items', '/v1/items/{id}', '/v1/items/{id}/decision', '/v1/tasks/claim', '/v1/tasks/{id}/heartbeat', '/v1/tasks/{id}/answer', '/v1/tasks/{id}/release']) {
      assert.ok(doc.body.paths[path], `OpenAPI documents ${path}`);
    }
    const session = await client(url, null).post('/v1/sessions', { email: match[1], password: match[2] });
    assert.equal(session.status, 201);
    const me = client(url, session.body.token);
    const names = (await me.get('/v1/workflows')).body.workflows.map((w: { name: string }) => w.name);
    // The chat demo is set up in the background, after the server is up.
    assert.deepEqual(names.filter((n: string) => n !== 'support-chat'), ['refunds', 'support-triage']);
    await eventually(async () => {
      const r = await me.get('/v1/workflows/support-chat/replies');
      return r.status === 200 && r.body.replies.length === 12 ? true : undefined;
    }, 60_000, 'the chat demo workflow with its reply library');
    assert.equal((await fetch(`${url}/demo/chat`)).status, 200);
    const versions = (await me.get('/v1/workflows/support-triage/model/versions')).body.versions;
    assert.equal(versions[0].trainingSize, 4000, 'the demo model is warmed with Banking77 history');
    assert.ok(versions[0].scores.accuracy > 0.8, JSON.stringify(versions[0].scores));
    // Live traffic trickles in: the machine decides some at once, the rest wait for people.
    const routes = await eventually(async () => {
      const rows = await readDemoRoutes(me);
      return rows.auto > 0 && rows.review > 0 ? rows : undefined;
    }, 30_000, 'demo traffic with both automatic and human routes');
    assert.ok(routes.auto + routes.review >= 2);
    const queues = (await me.get('/v1/queues')).body.queues;
    assert.ok(queues.some((q: { workflow: string; open: number }) => q.workflow === 'support-triage' && q.open > 0));
    const bad = await me.post('/v1/workflows/refunds/items', { fields: { amount: 'lots' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].path, 'fields.amount');
    const big = await me.post('/v1/workflows/refunds/items', { fields: { amount: 900 } });
    assert.equal(big.body.route.reasons[1].rule, 'amount > 500');
  });

  test('users add and keys create work on the same database, and print what is shown once', async () => {
    // PGlite has one writer: the command runs against a copy-free second database folder.
    const other = join(dir, 'other');
    const run = (...args: string[]) => spawnSync(process.execPath, [...main, ...args], { env: { ...env(), TANDEM_DATA_DIR: other }, encoding: 'utf8' });
    const added = run('users', 'add', '--email', 'kim@example.com', '--role', 'lead');
    assert.equal(added.status, 0, added.stderr);
    assert.match(added.stdout, /added kim@example.com \(lead\); password \(shown once\): \S{12,}/);
    const key = run('keys', 'create', '--name', 'crm');
    assert.equal(key.status, 0, key.stderr);
    assert.match(key.stdout.trim(), /^tdm_key_[A-Za-z0-9_-]{20,}$/);
    const dup = run('users', 'add', '--email', 'kim@example.com');
    assert.equal(dup.status, 1);
    assert.match(dup.stderr, /^tandem: a reviewer with email "kim@example.com" exists already\n$/);
    const noWf = run('keys', 'create', '--name', 'x', '--workflows', 'nope');
    assert.equal(noWf.status, 2);
    assert.equal(noWf.stderr, 'tandem: no workflow named "nope"\n');
    const unknown = run('frobnicate');
    assert.equal(unknown.status, 2);
    assert.doesNotMatch(unknown.stderr, /\bat .*\.ts:\d+/, 'no stack trace');
    const badFlag = run('users', 'add', '--emial', 'x');
    assert.equal(badFlag.status, 2);
    const help = run('help');
    assert.match(help.stdout, /tandem serve/);
    const migrated = run('migrate');
    assert.equal(migrated.stdout, 'the database is up to date\n');
  });
});

describe('tandem import labels on a Postgres server', () => {
  test('imports good rows, lists refused ones with their reason, and adds nothing on a re-run', async () => {
    const t = await freshDb('postgres');
    const dir = mkdtempSync(join(tmpdir(), 'tandem-import-'));
    try {
      await insertWorkflow(t.db, 'triage', workflowSpec.parse(labelWorkflow('triage')));
      const file = join(dir, 'history.csv');
      writeFileSync(file, 'message,intent\n"Card charged twice, why?",billing\nApp crashes on start,bug\nhello,nonsense\n,bug\n');
      const run = () =>
        spawnSync(process.execPath, [...main, 'import', 'labels', file, '--workflow', 'triage', '--text-column', 'message', '--label-column', 'intent'], {
          env: { ...process.env, DATABASE_URL: t.url! },
          encoding: 'utf8',
        });
      const first = run();
      assert.equal(first.status, 0, first.stderr);
      assert.match(first.stdout, /read 4 rows: imported 2, already there 0, refused 2/);
      assert.match(first.stdout, /row 4: label "nonsense" is not one of the workflow's labels/);
      assert.match(first.stdout, /row 5: no text in column "message"/);
      assert.match(first.stderr, /importing 2\/2/, 'progress on stderr');
      const again = run();
      assert.match(again.stdout, /imported 0, already there 2/);
      const rows = await t.db.query<{ text: string; label: string }>(`SELECT text, label FROM examples ORDER BY label`);
      assert.deepEqual(rows, [{ text: 'Card charged twice, why?', label: 'billing' }, { text: 'App crashes on start', label: 'bug' }]);
      const missing = spawnSync(process.execPath, [...main, 'import', 'labels', join(dir, 'nope.csv'), '--workflow', 'triage'], { env: { ...process.env, DATABASE_URL: t.url! }, encoding: 'utf8' });
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /^tandem: no file /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await t.drop();
    }
  });
});

describe('tandem plan and tandem simulate', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [...main, ...args], { env: { ...process.env }, encoding: 'utf8' });

  test('plan --json prints one object with the integer reviewers: the Call Centre Helper example', () => {
    const r = run('plan', '--arrivals-per-hour', '200', '--handle-seconds', '180', '--service-level', '0.8', '--within-seconds', '20', '--shrinkage', '0.3', '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.reviewers, 20);
    assert.equal(out.needed, 14);
    assert.ok(Math.abs(out.serviceLevel - 0.888) < 0.0005 && Math.abs(out.occupancy - 0.714) < 0.0005);
    assert.equal(r.stdout.trim().split('\n').length, 1, 'one line of JSON');
    const plain = run('plan', '--arrivals-per-hour', '1000', '--handle-seconds', '180', '--within-seconds', '20', '--automation-rate', '0.8', '--patience-seconds', '300');
    assert.equal(plain.status, 0, plain.stderr);
    assert.match(plain.stdout, /Erlang A, patience 300 s/);
    assert.match(plain.stdout, /1000 items\/h, 80\.0 % decided by the machine: 200\/h reach people/);
    assert.match(plain.stdout, /> +13 +13 +85\.8 %/, 'the table marks the 13 needed');
  });

  test('plan: bad flags are one line and exit code 2', () => {
    for (const args of [
      ['plan', '--arrivals-per-hour', 'lots', '--handle-seconds', '60'],
      ['plan', '--arrivals-per-hour', '100', '--handle-seconds', '60', '--service-level', '1'],
      ['plan', '--arrivals-per-hour', '100', '--handle-seconds', '60', '--shrinkage', '1.2'],
      ['plan', '--handle-seconds', '60'],
      ['plan', '--arivals', '3'],
    ]) {
      const r = run(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^tandem: /);
      assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/, 'no stack trace');
    }
    assert.match(run('plan', '--arrivals-per-hour', 'lots', '--handle-seconds', '60').stderr, /--arrivals-per-hour must be a number/);
  });

  test('plan --workflow measures arrivals, handle time and automation on a Postgres server', async () => {
    const t = await freshDb('postgres');
    const app = await startApp(t.db);
    try {
      const admin = client(app.url);
      assert.equal((await admin.post('/v1/workflows', labelWorkflow('staffed'))).status, 201);
      const rev = await person(t.db, 'reviewer', ['staffed']);
      const me = client(app.url, rev.token);
      for (const ms of [40_000, 80_000]) {
        await admin.post('/v1/workflows/staffed/items', { text: `charged twice ${ms}` });
        const c = await me.post('/v1/tasks/claim', { workflow: 'staffed' });
        await me.post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: 1, label: 'billing', timeSpentMs: ms });
      }
      const env = { ...process.env, DATABASE_URL: t.url! };
      const r = spawnSync(process.execPath, [...main, 'plan', '--workflow', 'staffed', '--within-seconds', '20', '--json'], { env, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.measured.items, 2);
      assert.equal(out.handleSeconds, 60);
      assert.equal(out.arrivalsPerHour, 2);
      assert.deepEqual(out.sources, { arrivalsPerHour: 'measured', handleSeconds: 'measured', automationRate: 'measured' });
      assert.ok(Number.isInteger(out.reviewers) && out.reviewers >= 1);
      assert.ok(out.whatIf.length >= 9);
      const plain = spawnSync(process.execPath, [...main, 'plan', '--workflow', 'staffed', '--arrivals-per-hour', '900'], { env, encoding: 'utf8' });
      assert.equal(plain.status, 0, plain.stderr);
      assert.match(plain.stdout, /inputs: arrivals given, handle time measured, automation rate measured/);
      assert.match(plain.stdout, /What if the confidence threshold moved/);
      const missing = spawnSync(process.execPath, [...main, 'plan', '--workflow', 'nope'], { env, encoding: 'utf8' });
      assert.equal(missing.status, 2);
      assert.equal(missing.stderr, 'tandem: no workflow named "nope"\n');
    } finally {
      await app.close();
      await t.drop();
    }
  });

  test('simulate: a seeded surge day, the same twice, with an SVG chart; bad flags exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-sim-'));
    try {
      const svg = join(dir, 'day.svg');
      const args = ['simulate', '--arrivals-per-hour', '300', '--surge', '3x@01:00-02:00', '--hours', '3', '--reviewers', '4', '--seed', '5', '--json'];
      const a = run(...args, '--svg', svg);
      assert.equal(a.status, 0, a.stderr);
      const out = JSON.parse(a.stdout);
      assert.equal(out.runs[0].reviewers, 4);
      assert.equal(out.runs[0].hours.length, 3);
      const [h0, h1] = out.runs[0].hours;
      assert.ok(h1.arrivals > 2 * h0.arrivals, 'the surge hour');
      assert.ok(h1.waitP95 > h0.waitP95, 'waits grow in the surge');
      assert.deepEqual({ from: out.runs[0].peak.fromSeconds, to: out.runs[0].peak.toSeconds }, { from: 3600, to: 7200 });
      assert.match(readFileSync(svg, 'utf8'), /^<svg [^>]*>[\s\S]*Tasks waiting for a reviewer[\s\S]*<\/svg>\n$/);
      const b = run(...args);
      assert.equal(b.stdout, a.stdout, 'the same seed gives the same figures');
      for (const bad of [
        ['simulate', '--reviewers', '3', '--surge', 'triple'],
        ['simulate', '--arrivals-per-hour', '100'],
        ['simulate', '--reviewers', '0'],
        ['simulate', '--reviewers', '3', '--find-reviewers'],
      ]) {
        const r = run(...bad);
        assert.equal(r.status, 2, `${bad.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, /^tandem: /);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
