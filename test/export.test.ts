// `tandem export labels` and `tandem export audit` through the real command, on a Postgres
// database where a machine, a consensus of three and nobody yet have decided items.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { exportAudit, exportLabels } from '../src/cli/exportData.ts';
import { parseCsv } from '../src/cli/tables.ts';
import { adminKey, client, freshDb, labelWorkflow, person, startApp, type TestApp, type TestDb } from './harness.ts';
import { startScorer, type Scorer } from './scorer.ts';

const main = ['--import', 'tsx', 'src/cli/main.ts'];

describe('tandem export on a Postgres server', () => {
  let t: TestDb;
  let app: TestApp;
  let scorer: Scorer;
  let dir: string;
  const ids: Record<string, string> = {};
  const people: Array<{ token: string; id: string; email: string }> = [];
  const tricky = 'Card "charged" twice,\nplease refund';

  before(async () => {
    t = await freshDb('postgres');
    app = await startApp(t.db);
    scorer = await startScorer({ kind: 'labels', labels: { billing: 0.5, bug: 0.5 } });
    scorer.behave.set('invoice', { kind: 'labels', labels: { billing: 0.97, bug: 0.01, fraud: 0.01, other: 0.01 } });
    dir = mkdtempSync(join(tmpdir(), 'tandem-export-'));
    const admin = client(app.url, adminKey);
    const wf = labelWorkflow('exp', { model: { type: 'http', url: scorer.url, timeoutMs: 2000 }, consensus: { answers: 3, rule: 'majority' } });
    assert.equal((await admin.post('/v1/workflows', wf)).status, 201);
    const submit = async (key: string, text: string) => {
      const r = await admin.post('/v1/workflows/exp/items', { text });
      assert.equal(r.status, 201);
      ids[key] = r.body.id;
    };
    await submit('machine', 'my invoice total');
    await submit('split', tricky);
    await submit('unanimous', 'account hacked');
    await submit('pending', 'opening hours?');
    // Three people, each claims twice: the oldest two review items get three votes each, the
    // third is left waiting.
    const votes: Record<string, string[]> = { split: ['billing', 'billing', 'bug'], unanimous: ['fraud', 'fraud', 'fraud'] };
    for (let p = 0; p < 3; p++) {
      const who = await person(t.db, 'reviewer', ['exp']);
      people.push(who);
      for (let n = 0; n < 2; n++) {
        const c = await client(app.url, who.token).post('/v1/tasks/claim', { workflow: 'exp' });
        assert.equal(c.status, 200);
        const key = Object.keys(ids).find((k) => ids[k] === c.body.item.id)!;
        const a = await client(app.url, who.token).post(`/v1/tasks/${c.body.task.id}/answer`, { assignment: c.body.task.assignment, label: votes[key]![p], timeSpentMs: 1000 * (p + 1) });
        assert.equal(a.status, 200);
      }
    }
  });
  after(async () => {
    await app.close();
    await scorer.close();
    await t.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (...args: string[]) => spawnSync(process.execPath, [...main, 'export', ...args], { env: { ...process.env, DATABASE_URL: t.url! }, encoding: 'utf8' });

  test('labels as CSV: human-verified items only, with their answers and agreement, quoting intact', () => {
    const r = run('labels', '--workflow', 'exp', '--format', 'csv');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, 'exported 2 labelled items\n');
    const rows = parseCsv(r.stdout);
    assert.deepEqual(rows.map((row) => ({ ...row, decided_at: row.decided_at ? 'set' : 'missing' })), [
      { item_id: ids.split!, text: tricky, label: 'billing', source: 'consensus', answers: '3', agreement: '0.6667', decided_at: 'set' },
      { item_id: ids.unanimous!, text: 'account hacked', label: 'fraud', source: 'consensus', answers: '3', agreement: '1', decided_at: 'set' },
    ]);
    assert.ok(!Number.isNaN(Date.parse(rows[0]!.decided_at!)));
  });

  test('labels as JSONL to a file, and clear errors for a bad workflow or format', () => {
    const out = join(dir, 'labels.jsonl');
    const r = run('labels', '--workflow', 'exp', '--format', 'jsonl', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /exported 2 labelled items to .*labels\.jsonl/);
    assert.ok(!existsSync(`${out}.partial`));
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.itemId, l.label, l.outcome, l.answers, l.agreement]), [
      [ids.split, 'billing', { type: 'label', label: 'billing' }, 3, 0.6667],
      [ids.unanimous, 'fraud', { type: 'label', label: 'fraud' }, 3, 1],
    ]);
    assert.equal(lines[0].text, tricky);
    const missing = run('labels', '--workflow', 'nope');
    assert.equal(missing.status, 2);
    assert.equal(missing.stderr, 'tandem: no workflow named "nope"\n');
    const badFormat = run('labels', '--workflow', 'exp', '--format', 'xml');
    assert.equal(badFormat.status, 2);
    assert.equal(badFormat.stderr, 'tandem: --format must be csv or jsonl\n');
    assert.equal(run('audit', '--workflow', 'exp', '--format', 'csv').status, 2);
  });

  test('audit: every item with its route, tasks, answers with reviewers, decisions with actors and times', () => {
    const r = run('audit', '--workflow', 'exp');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, 'exported 4 items\n');
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.item.id), [ids.machine, ids.split, ids.unanimous, ids.pending], 'oldest first');
    const [machine, split, , pending] = lines;
    assert.equal(machine.route.route, 'auto');
    assert.deepEqual(machine.decisions.map((d: { source: string; actor: string }) => [d.source, d.actor]), [['machine', 'machine']]);
    assert.deepEqual(machine.tasks, []);
    assert.equal(split.route.route, 'review');
    assert.equal(split.item.text, tricky);
    assert.deepEqual(split.tasks.map((x: { kind: string; status: string }) => [x.kind, x.status]), [['vote', 'done'], ['vote', 'done'], ['vote', 'done']]);
    assert.deepEqual(split.answers.map((a: { reviewer: { email: string }; outcome: { label: string }; timeSpentMs: number }) => [a.reviewer.email, a.outcome.label, a.timeSpentMs]), [
      [people[0]!.email, 'billing', 1000], [people[1]!.email, 'billing', 2000], [people[2]!.email, 'bug', 3000],
    ]);
    assert.equal(split.decisions.length, 1);
    assert.equal(split.decisions[0].source, 'consensus');
    assert.ok(Date.parse(split.decisions[0].createdAt) >= Date.parse(split.answers[2].createdAt), 'decided after the last vote');
    assert.deepEqual(split.events.map((e: { type: string }) => e.type).filter((x: string) => x === 'decision.made'), ['decision.made']);
    assert.equal(pending.item.status, 'pending');
    assert.deepEqual(pending.decisions, []);
    assert.equal(pending.tasks.length, 3);
  });

  test('pages of one item give the same export as one page of all', async () => {
    const collect = async (fn: (out: PassThrough) => Promise<unknown>) => {
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (c: Buffer) => chunks.push(c));
      await fn(out);
      return Buffer.concat(chunks).toString('utf8');
    };
    const whole = await collect((out) => exportAudit(t.db, 'exp', out));
    assert.equal(whole.trim().split('\n').length, 4);
    assert.equal(await collect((out) => exportAudit(t.db, 'exp', out, 1)), whole);
    assert.equal(await collect((out) => exportLabels(t.db, 'exp', 'csv', out, 1)), await collect((out) => exportLabels(t.db, 'exp', 'csv', out)));
  });
});
