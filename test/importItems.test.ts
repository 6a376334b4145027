// tandem import items through the real command on a throw-away Postgres database: good rows go
// in and are routed as live traffic is, bad rows are listed with their row and reason, and a
// re-run imports nothing new.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDb, labelWorkflow, type TestDb } from './harness.ts';
import { startScorer, type Scorer } from './scorer.ts';
import { insertWorkflow } from '../src/store/workflows.ts';
import { workflowSpec } from '../src/core/workflow.ts';

const main = ['--import', 'tsx', 'src/cli/main.ts'];

describe('tandem import items on a Postgres server', () => {
  let t: TestDb;
  let dir: string;
  let scorer: Scorer;

  // Not spawnSync: the stand-in model answers from this process while the command runs.
  const run = (...args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [...main, 'import', 'items', ...args], { env: { ...process.env, DATABASE_URL: t.url! }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('error', reject);
      child.once('close', (status) => resolve({ status, stdout, stderr }));
    });

  before(async () => {
    t = await freshDb('postgres');
    dir = mkdtempSync(join(tmpdir(), 'tandem-import-items-'));
    // Confident on most texts (decided at once), unsure where the text says so (to people).
    scorer = await startScorer({ kind: 'labels', labels: { billing: 0.95, bug: 0.03, fraud: 0.01, other: 0.01 } });
    scorer.behave.set('not sure', { kind: 'labels', labels: { billing: 0.5, bug: 0.5, fraud: 0, other: 0 } });
    const spec = labelWorkflow('tickets', {
      model: { type: 'http', url: scorer.url, timeoutMs: 2000 },
      inputSchema: { type: 'object', properties: { amount: { type: 'number' }, plan: { type: 'string' } }, additionalProperties: false },
    });
    await insertWorkflow(t.db, 'tickets', workflowSpec.parse(spec));
  });
  after(async () => {
    await scorer.close();
    rmSync(dir, { recursive: true, force: true });
    await t.drop();
  });

  test('a mixed JSONL file: valid rows in and routed, rejected rows listed; a re-run skips them all', async () => {
    const file = join(dir, 'mixed.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ text: 'my invoice is wrong', amount: 12.5, plan: 'pro' }),
        JSON.stringify({ text: 'not sure why the app crashed', amount: 3 }),
        JSON.stringify({ amount: 7 }),
        JSON.stringify({ text: 'charge me less', amount: 'lots' }),
        '{"text": "half a line',
        '',
        JSON.stringify({ text: 'second invoice question' }),
        '',
      ].join('\n'),
    );
    const first = await run(file, '--workflow', 'tickets');
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /read 6 rows: imported 3 \(auto 2, review 1\), skipped as already in 0, rejected 3/);
    assert.match(first.stdout, /row 3: no text in column "text"/);
    assert.match(first.stdout, /row 4: the item's fields do not fit the workflow's input schema; fields\.amount: must be number/);
    assert.match(first.stdout, /row 5: not valid JSON/);
    assert.match(first.stderr, /importing \[#+\] 6\/6/, 'a progress bar on stderr');

    const items = await t.db.query<{ text: string; fields: Record<string, unknown>; route: string; status: string; idempotency_key: string }>(
      `SELECT text, fields, route->>'route' AS route, status, idempotency_key FROM items WHERE workflow = 'tickets' ORDER BY text`,
    );
    assert.deepEqual(
      items.map(({ text, fields, route, status }) => ({ text, fields, route, status })),
      [
        { text: 'my invoice is wrong', fields: { amount: 12.5, plan: 'pro' }, route: 'auto', status: 'decided' },
        { text: 'not sure why the app crashed', fields: { amount: 3 }, route: 'review', status: 'pending' },
        { text: 'second invoice question', fields: {}, route: 'auto', status: 'decided' },
      ],
    );
    assert.ok(items.every((i) => i.idempotency_key.startsWith('import:')));
    // As live traffic: a machine decision for the confident ones, a review task for the other, and
    // the events the outbox delivers.
    const decisions = await t.db.query<{ text: string; source: string }>(
      `SELECT i.text, d.source FROM decisions d JOIN items i ON i.id = d.item_id WHERE i.workflow = 'tickets' ORDER BY i.text`,
    );
    assert.deepEqual(decisions, [{ text: 'my invoice is wrong', source: 'machine' }, { text: 'second invoice question', source: 'machine' }]);
    const tasks = await t.db.query<{ text: string; kind: string; status: string }>(
      `SELECT i.text, t.kind, t.status FROM tasks t JOIN items i ON i.id = t.item_id WHERE i.workflow = 'tickets'`,
    );
    assert.deepEqual(tasks, [{ text: 'not sure why the app crashed', kind: 'review', status: 'open' }]);
    const events = await t.db.query<{ type: string; n: number }>(
      `SELECT type, count(*)::int AS n FROM events WHERE workflow = 'tickets' GROUP BY type ORDER BY type`,
    );
    assert.deepEqual(events, [{ type: 'decision.made', n: 2 }, { type: 'item.routed', n: 3 }, { type: 'task.created', n: 1 }]);

    const again = await run(file, '--workflow', 'tickets', '--json');
    assert.equal(again.status, 0, again.stderr);
    const report = JSON.parse(again.stdout);
    assert.equal(report.imported, 0);
    assert.equal(report.skipped, 3);
    assert.deepEqual(report.rejected.map((r: { row: number }) => r.row), [3, 4, 5]);
    assert.equal((await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM items WHERE workflow = 'tickets'`))[0]!.n, 3);
  });

  test('a CSV file with a key column and metadata: cells typed by the input schema, keys kept, re-run skipped', async () => {
    const file = join(dir, 'items.csv');
    writeFileSync(file, 'id,message,amount,channel\nc1,"Card charged twice, why?",20,email\nc2,not sure it is a bug,,chat\nc3,too expensive,cheap,web\n,no key here,1,web\n');
    const args = [file, '--workflow', 'tickets', '--text-column', 'message', '--key-column', 'id', '--fields', 'amount', '--metadata', 'channel'];
    const first = await run(...args);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /read 4 rows: imported 2 \(auto 1, review 1\), skipped as already in 0, rejected 2/);
    assert.match(first.stdout, /row 4: .*fields\.amount: must be number/);
    assert.match(first.stdout, /row 5: no key in column "id"/);
    const rows = await t.db.query<{ idempotency_key: string; text: string; fields: unknown; metadata: unknown; route: string }>(
      `SELECT idempotency_key, text, fields, metadata, route->>'route' AS route FROM items WHERE idempotency_key IN ('c1', 'c2') ORDER BY idempotency_key`,
    );
    assert.deepEqual(rows, [
      { idempotency_key: 'c1', text: 'Card charged twice, why?', fields: { amount: 20 }, metadata: { channel: 'email' }, route: 'auto' },
      { idempotency_key: 'c2', text: 'not sure it is a bug', fields: {}, metadata: { channel: 'chat' }, route: 'review' },
    ]);
    const again = await run(...args);
    assert.match(again.stdout, /imported 0, skipped as already in 2, rejected 2/);
  });

  test('a bad file or workflow is an error with a non-zero exit; nothing is imported', async () => {
    const file = join(dir, 'one.csv');
    writeFileSync(file, 'text\nhello\n');
    const noWorkflow = await run(file, '--workflow', 'nope');
    assert.equal(noWorkflow.status, 2);
    assert.match(noWorkflow.stderr, /^tandem: no workflow named "nope"/);
    const noFile = await run(join(dir, 'missing.csv'), '--workflow', 'tickets');
    assert.equal(noFile.status, 2);
    assert.match(noFile.stderr, /^tandem: no file /);
    const noColumn = await run(file, '--workflow', 'tickets', '--key-column', 'id');
    assert.equal(noColumn.status, 2);
    assert.match(noColumn.stderr, /has no column "id"/);
    assert.equal((await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM items WHERE text = 'hello'`))[0]!.n, 0);
  });
});
