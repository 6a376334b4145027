// The tandem command as a newcomer meets it: first start on an embedded database (admin password
// printed once, demo loaded, OpenAPI served), workflow files, users and keys, clear usage errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client, eventually, freePort, freshDb, labelWorkflow } from './harness.ts';
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
    await eventually(async () => (output.includes('Tandem is serving') ? true : undefined), 60_000, `the server to start; output so far:\n${output}`);
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
