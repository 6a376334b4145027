// The quality statistics endpoints and `tandem report quality` on a demo-like workflow, on both
// drivers; the HTML report opened in headless Chromium.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumArgs, chromiumPath } from './browser.ts';
import { renderHtml } from '../src/cli/qualityReport.ts';
import { reportQualityCommand } from '../src/cli/reportQuality.ts';
import { adminKey, client, drivers, freshDb, person, startApp, type TestApp, type TestDb } from './harness.ts';
import { demoName, seedQualityDemo, type QualityFixture } from './qualityFixture.ts';


/** Opens the HTML in a fresh headless Chromium; returns console errors, page errors and what the page shows. */
async function openInChromium(html: string) {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-report-'));
  const file = join(dir, 'report.html');
  writeFileSync(file, html);
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: chromiumPath, args: chromiumArgs, headless: true });
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('dialog', (d) => {
      errors.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(`file://${file}`);
    const shown = await page.evaluate(() => ({
      charts: [...document.querySelectorAll('figure svg')].map((s) => {
        const box = s.getBoundingClientRect();
        return { width: box.width, height: box.height, bars: [...s.querySelectorAll('rect.bar')].filter((b) => b.getBoundingClientRect().width > 0).length };
      }),
      scripts: document.scripts.length,
      images: document.images.length,
      pwned: (window as unknown as { __pwned?: number }).__pwned ?? null,
      text: document.body.innerText,
    }));
    return { errors, ...shown };
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const driver of drivers) {
  describe(`quality statistics on ${driver}`, () => {
    let t: TestDb;
    let app: TestApp;
    let fx: QualityFixture;
    let lead: ReturnType<typeof client>;

    before(async () => {
      t = await freshDb(driver);
      app = await startApp(t.db);
      fx = await seedQualityDemo(app.url, t.db);
      lead = client(app.url, fx.lead.token);
    });
    after(async () => {
      await fx.close();
      await app.close();
      await t.drop();
    });

    test('agreement: overall, per label and per pair with bootstrap intervals, and the labels people split on with examples', async () => {
      const r = await lead.get(`/v1/workflows/${demoName}/quality/agreement`);
      assert.equal(r.status, 200);
      for (const s of ['percentAgreement', 'fleissKappa', 'krippendorffAlpha'] as const) {
        const m = r.body.overall[s];
        assert.equal(m.kind, 'ok', s);
        assert.ok(m.interval.lower <= m.estimate && m.estimate <= m.interval.upper, `${s} lies in its interval`);
      }
      // Reviewer 0 is always right, the others slip: agreement is real but far from perfect.
      assert.ok(r.body.overall.fleissKappa.estimate > 0.3 && r.body.overall.fleissKappa.estimate < 0.95, String(r.body.overall.fleissKappa.estimate));
      assert.deepEqual(r.body.perLabel.map((l: { label: string }) => l.label), ['billing', 'bug', 'fraud', 'other']);
      assert.equal(r.body.pairs.length, 3);
      assert.ok(r.body.pairs.every((p: { kappa: { kind: string } }) => p.kappa.kind === 'ok'));
      const top = r.body.disagreements[0];
      assert.ok(top.labels.includes('other'), 'the slips all say "other"');
      const example = await lead.get(`/v1/items/${top.examples[0]}`);
      assert.equal(example.body.workflow, demoName);

      const later = await lead.get(`/v1/workflows/${demoName}/quality/agreement?from=2999-01-01`);
      assert.equal(later.body.ratings, 0);
      assert.equal(later.body.overall.fleissKappa.kind, 'insufficient');
      assert.equal(later.body.overall.fleissKappa.message, 'not enough data (n = 0, needs 5)');
    });

    test('reviewer accuracy: gold with "not enough data" below ten answers, and Dawid-Skene ranks the reviewers', async () => {
      const r = await lead.get(`/v1/workflows/${demoName}/quality/reviewers`);
      assert.equal(r.status, 200);
      assert.equal(r.body.gold.length, 3);
      for (const g of r.body.gold) {
        assert.equal(g.answered, 2);
        assert.equal(g.stage, 'qualified');
        assert.equal(g.accuracy.message, 'not enough data (n = 2, needs 10)');
      }
      assert.equal(r.body.dawidSkene.kind, 'ok');
      const accuracy = (id: string) => r.body.dawidSkene.reviewers.find((x: { reviewer: { id: string } }) => x.reviewer.id === id).accuracy;
      const [best, middling, worst] = fx.reviewers.map((p) => accuracy(p.id));
      assert.ok(best > middling && middling > worst, `${best} > ${middling} > ${worst}`);
      assert.ok(best > 0.95);
    });

    test('bias audit per declared attribute; an undeclared one is a 400', async () => {
      const r = await lead.get(`/v1/workflows/${demoName}/quality/bias?attribute=segment`);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.groups, [{ group: 'standard', items: 40 }, { group: 'vip', items: 20 }]);
      // Only standard items were confident: the machine decided none of the vip items, a significant gap.
      const vip = r.body.automationRate.groups.find((g: { group: string }) => g.group === 'vip');
      assert.equal(vip.rate.estimate, 0);
      assert.equal(vip.flag, 'lower');
      assert.equal(r.body.overturnRate.kind, 'insufficient');
      assert.match(r.body.overturnRate.message, /^not enough data \(n = \d+, needs 10\)$/);
      assert.equal(r.body.approvalRate, null);
      assert.ok(r.body.timeToDecision.every((x: { seconds: { kind: string } }) => x.seconds.kind === 'ok'));
      assert.ok(r.body.reviewers.comparisons.length > 0);
      assert.equal(r.body.reviewers.event, 'overruled the machine');

      const undeclared = await lead.get(`/v1/workflows/${demoName}/quality/bias?attribute=region`);
      assert.equal(undeclared.status, 400);
      assert.equal(undeclared.body.errors[0].path, 'attribute');
      assert.equal(undeclared.body.errors[0].message, 'must be one of: segment, channel');
      assert.equal((await lead.get(`/v1/workflows/${demoName}/quality/bias`)).status, 400);
    });

    test('automation bias compares blind with shown answers on comparable items', async () => {
      const r = await lead.get(`/v1/workflows/${demoName}/quality/automation-bias`);
      assert.equal(r.status, 200);
      assert.equal(r.body.blindMode, true);
      assert.ok(r.body.answers.blind > 50 && r.body.answers.shown > 50, JSON.stringify(r.body.answers));
      assert.equal(r.body.result.kind, 'ok');
      assert.ok(r.body.result.strata >= 2);
      assert.ok(r.body.result.difference.lower <= r.body.result.difference.estimate);
    });

    test('bad periods and callers who are not leads get clear 4xx errors; the endpoints are in OpenAPI', async () => {
      const bad = await lead.get(`/v1/workflows/${demoName}/quality/agreement?from=yesterday`);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.errors[0].path, 'query.from');
      const empty = await lead.get(`/v1/workflows/${demoName}/quality/agreement?from=2025-02-01&to=2025-01-01`);
      assert.equal(empty.status, 400);
      assert.match(empty.body.detail, /"from" must be before "to"/);
      const reviewer = client(app.url, fx.reviewers[0]!.token);
      for (const p of ['agreement', 'reviewers', 'bias?attribute=segment', 'automation-bias']) {
        assert.equal((await reviewer.get(`/v1/workflows/${demoName}/quality/${p}`)).status, 403, p);
      }
      const stranger = await person(t.db, 'lead', []);
      assert.equal((await client(app.url, stranger.token).get(`/v1/workflows/${demoName}/quality/agreement`)).status, 404);
      const doc = (await client(app.url, null).get('/v1/openapi.json')).body;
      for (const p of ['agreement', 'reviewers', 'bias', 'automation-bias']) assert.ok(doc.paths[`/v1/workflows/{name}/quality/${p}`], p);
      for (const p of ['/v1/workflows/{name}/gold', '/v1/workflows/{name}/gold/import', '/v1/workflows/{name}/gold/{itemId}']) assert.ok(doc.paths[p], p);
    });

    test('tandem report quality: Markdown, JSON and HTML; the HTML opens in Chromium with its charts and every item text escaped', async () => {
      let html: string;
      if (driver === 'postgres') {
        // The command itself, as a lead runs it, against the same database.
        const dir = mkdtempSync(join(tmpdir(), 'tandem-report-out-'));
        const run = (...args: string[]) =>
          spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'report', 'quality', '--workflow', demoName, ...args], { env: { ...process.env, DATABASE_URL: t.url!, TANDEM_ADMIN_KEY: adminKey }, encoding: 'utf8' });
        const md = run('--format', 'md');
        assert.equal(md.status, 0, md.stderr);
        assert.match(md.stdout, /^# Quality report: q-demo/);
        assert.match(md.stdout, /\| Fleiss' kappa \| 0\.\d{3} \[0\.\d{3}, 0\.\d{3}\] \|/);
        assert.match(md.stdout, /not enough data \(n = 2, needs 10\)/);
        const json = run('--format', 'json', '--from', '2000-01-01');
        assert.equal(json.status, 0, json.stderr);
        assert.equal(JSON.parse(json.stdout).report.period.from, '2000-01-01T00:00:00.000Z');
        const out = join(dir, 'q.html');
        const written = run('--format', 'html', '--out', out);
        assert.equal(written.status, 0, written.stderr);
        html = readFileSync(out, 'utf8');
        rmSync(dir, { recursive: true, force: true });
        assert.equal(run('--format', 'pdf').status, 2);
        assert.match(run('--format', 'md', '--from', 'soon').stderr, /--from must be an ISO 8601 date/);
        const missing = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'report', 'quality', '--workflow', 'nope'], { env: { ...process.env, DATABASE_URL: t.url! }, encoding: 'utf8' });
        assert.equal(missing.status, 2);
        assert.match(missing.stderr, /no workflow named "nope"/);
      } else {
        html = await reportQualityCommand(t.db, demoName, { from: null, to: null }, 'html');
      }
      const page = await openInChromium(html);
      assert.deepEqual(page.errors, []);
      // Agreement per label, gold accuracy, Dawid-Skene, one per auditable attribute, automation bias.
      assert.equal(page.charts.length, 6, JSON.stringify(page.charts));
      for (const c of page.charts) assert.ok(c.width > 200 && c.height > 50, JSON.stringify(c));
      assert.ok(page.charts.filter((c) => c.bars > 0).length >= 5, JSON.stringify(page.charts));
      assert.match(page.text, /Quality report: q-demo/);
      assert.match(page.text, /not enough data \(n = 2, needs 10\)/);

      // Item text is untrusted: hostile text in the examples must show as text and do nothing.
      const input = JSON.parse(JSON.stringify(await (await import('../src/engine/quality.ts')).qualityReportWithExamples(t.db, await app.engine.workflows.get(t.db, demoName), { from: null, to: null })));
      const ids: string[] = input.report.agreement.disagreements.flatMap((d: { examples: string[] }) => d.examples);
      assert.ok(ids.length > 0);
      const hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script></li></ul><b>';
      const attacked = await openInChromium(renderHtml({ report: input.report, itemTexts: Object.fromEntries(ids.map((id) => [id, hostile])) }));
      assert.deepEqual(attacked.errors, []);
      assert.equal(attacked.pwned, null);
      assert.equal(attacked.scripts, 0);
      assert.equal(attacked.images, 0);
      assert.ok(attacked.text.includes('<img src=x onerror="window.__pwned=1">'), 'shown as text');
    });
  });
}
