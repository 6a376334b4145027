// The quality report on the demo workflow itself: `support-triage` set up as `tandem serve` sets it
// up (Banking77 history imported, the built-in model trained) on a fresh embedded database; a lead
// turns on consensus, gold and Dawid–Skene weighting; simulated reviewers of different accuracy
// work part of the live traffic; then `tandem report quality --format html`, run as a lead runs
// it, writes a report that must open in headless Chromium without errors, its charts drawn.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { chromiumArgs, chromiumPath } from './browser.ts';
import { startDemo } from '../src/cli/demo.ts';
import { readRows } from '../src/cli/tables.ts';
import { openDb, type Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { adminKey, client, person, startApp, type TestApp } from './harness.ts';

const demoDir = fileURLToPath(new URL('../demo/', import.meta.url));
const workflow = 'support-triage';

describe('the quality report on the demo workflow', () => {
  let dir: string;
  let db: Db | null = null;
  let app: TestApp | null = null;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tandem-demo-quality-'));
  });
  after(async () => {
    await app?.close();
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('reviewers work the demo queue with overlap and gold; tandem report quality --format html opens in Chromium with its charts', async () => {
    const dataDir = join(dir, 'data');
    db = await openDb({ dataDir });
    await migrate(db);
    app = await startApp(db);
    const log: string[] = [];
    // The demo's own set-up; its trickle of live traffic is left to this test, to control when items arrive.
    const demo = await startDemo(app.engine, 86_400_000, (line) => log.push(line));
    await demo.stop();
    assert.match(log.join('\n'), /warmed with 4000 labelled messages; model v1 trained/);

    const admin = client(app.url, adminKey);
    const { version: _v, createdAt: _c, updatedAt: _u, ...spec } = (await admin.get(`/v1/workflows/${workflow}`)).body;
    const labels: string[] = spec.labels;
    const respec = async (blindMode: boolean) => {
      const res = await admin.put(`/v1/workflows/${workflow}`, {
        ...spec,
        consensus: { answers: 2, rule: 'majority', weighting: 'estimated' },
        quality: { goldRate: 0.2, trainingItems: 10 },
        auditableAttributes: ['channel', 'segment'],
        blindMode,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    };
    await respec(false);

    const truth = new Map<string, string>();
    const history = readRows(`${demoDir}banking77-history.csv`);
    const gold = history.slice(0, 12).map((r) => ({ text: r.text!, label: r.category!, note: `Banking77 files this under ${r.category}.` }));
    for (const g of gold) truth.set(g.text, g.label);
    assert.equal((await admin.post(`/v1/workflows/${workflow}/gold/import`, { items: gold })).status, 201);

    const live = readRows(`${demoDir}banking77-live.csv`);
    let next = 0;
    const submit = async (n: number) => {
      for (const end = next + n; next < end; next++) {
        const row = live[next]!;
        truth.set(row.text!, row.category!);
        const res = await admin.post(`/v1/workflows/${workflow}/items`, {
          text: row.text,
          metadata: { channel: ['chat', 'email', 'app'][next % 3], segment: next % 7 === 0 ? 'vip' : 'standard' },
        });
        assert.equal(res.status, 201, JSON.stringify(res.body));
      }
    };

    // Each first works 10 gold items in training (so each has enough gold answers to measure), then
    // live work: careful is always right; quick slips on one answer in four; sloppy on every other one.
    const wrong = (label: string) => labels[(labels.indexOf(label) + 1) % labels.length]!;
    const people = [
      { ...(await person(db, 'reviewer', [workflow])), slip: () => false },
      { ...(await person(db, 'reviewer', [workflow])), slip: (n: number) => n % 4 === 3 },
      { ...(await person(db, 'reviewer', [workflow])), slip: (n: number) => n % 2 === 1 },
    ];
    const answered = new Map<string, number>();
    /** Round robin until the queue is empty for everyone: consecutive claims spread each item's two votes. */
    const work = async () => {
      const done = new Set<string>();
      while (done.size < people.length) {
        for (const p of people) {
          if (done.has(p.id)) continue;
          const c = client(app!.url, p.token);
          const claimed = await c.post('/v1/tasks/claim', { workflow });
          if (claimed.status === 204) {
            done.add(p.id);
            continue;
          }
          assert.equal(claimed.status, 200, JSON.stringify(claimed.body));
          const right = truth.get(claimed.body.item.text);
          assert.ok(right, `an item the test submitted: ${claimed.body.item.text}`);
          const n = answered.get(p.id) ?? 0;
          answered.set(p.id, n + 1);
          const res = await c.post(`/v1/tasks/${claimed.body.task.id}/answer`, { assignment: claimed.body.task.assignment, label: p.slip(n) ? wrong(right) : right });
          assert.equal(res.status, 200, JSON.stringify(res.body));
        }
      }
    };

    await submit(40);
    await work();
    const fit = await admin.post(`/v1/workflows/${workflow}/quality/reviewers/estimate`);
    assert.equal(fit.status, 200, JSON.stringify(fit.body));
    // Then blind, so the automation-bias check has both sides.
    await respec(true);
    await submit(40);
    await work();

    const overlap = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT a.item_id FROM answers a JOIN tasks t ON t.id = a.task_id WHERE t.workflow = $1::text GROUP BY a.item_id HAVING count(DISTINCT a.reviewer_id) >= 2) x`,
      [workflow],
    );
    assert.ok(overlap[0]!.n >= 10, `items answered by two or more reviewers: ${overlap[0]!.n}`);
    const goldAnswers = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM gold_scores WHERE workflow = $1::text`, [workflow]);
    assert.ok(goldAnswers[0]!.n >= 5, `gold answers: ${goldAnswers[0]!.n}`);

    // PGlite has one writer: the command opens the database folder once this process has let go.
    await app.close();
    app = null;
    await db.close();
    db = null;
    const out = join(dir, 'quality.html');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'report', 'quality', '--workflow', workflow, '--format', 'html', '--out', out], {
      env: { ...process.env, DATABASE_URL: '', TANDEM_DATA_DIR: dataDir },
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    const html = readFileSync(out, 'utf8');

    const context = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: chromiumPath, args: chromiumArgs, headless: true });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
      await page.goto(`file://${out}`);
      const shown = await page.evaluate(() => ({
        charts: [...document.querySelectorAll('figure svg')].map((s) => {
          const box = s.getBoundingClientRect();
          return { title: s.getAttribute('aria-label') ?? '', width: box.width, height: box.height, bars: [...s.querySelectorAll('rect.bar')].filter((b) => b.getBoundingClientRect().width > 0).length };
        }),
        text: document.body.innerText,
      }));
      assert.deepEqual(errors, []);
      assert.match(shown.text, /Quality report: support-triage/);
      const drawn = new Map(shown.charts.map((c) => [c.title, c]));
      for (const title of ["Agreement per label (Fleiss' kappa, label vs rest)", 'Accuracy on gold', 'Estimated accuracy from overlapping answers (Dawid–Skene)', 'Rates by channel', 'Rates by segment']) {
        const c = drawn.get(title);
        assert.ok(c, `a chart "${title}" among ${JSON.stringify(shown.charts)}`);
        assert.ok(c.width > 200 && c.height > 50 && c.bars > 0, `"${title}" drawn with bars: ${JSON.stringify(c)}`);
      }
      // Blind and shown answers on comparable items (same suggestion, same confidence band) are few
      // among 77 labels: the check draws its chart or says how little data it had, never a bare number.
      const ab = shown.text.slice(shown.text.indexOf('Automation bias'));
      assert.ok(drawn.has("Agreement with the machine's suggestion") || /not enough data \(n = \d+/.test(ab), ab);
    } finally {
      await context.close();
    }
  });
});
