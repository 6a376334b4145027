// `tandem bench routing` as a user runs it: the real engine on an embedded database with
// simulated reviewers, on a small, easy synthetic data set (CSV train, JSONL test), warm and
// cold start, one JSON object on stdout, progress on stderr, the chart written.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../src/core/estimate.ts';
import { hindsightThreshold } from '../src/cli/benchRouting.ts';
import { niceTicks, renderLineChart } from '../src/cli/svgChart.ts';

const topics: Record<string, string[]> = {
  billing: ['invoice', 'charged', 'refund', 'payment', 'bill', 'price', 'receipt', 'fee'],
  bug: ['crash', 'error', 'broken', 'freezes', 'bug', 'exception', 'glitch', 'stuck'],
  fraud: ['stolen', 'unauthorized', 'scam', 'hacked', 'fraud', 'phishing', 'suspicious', 'breach'],
  other: ['hello', 'thanks', 'question', 'opening', 'hours', 'address', 'holiday', 'office'],
};
const filler = ['please', 'my', 'the', 'account', 'help', 'today', 'again', 'now', 'app', 'i', 'need', 'with'];

/** Rows sorted by label, as many published data sets are: the bench must shuffle them itself. */
function rows(n: number, seed: number): Array<{ text: string; category: string }> {
  const rand = seededRandom(seed);
  const pick = (xs: string[]) => xs[Math.floor(rand() * xs.length)]!;
  const labels = Object.keys(topics);
  const out = Array.from({ length: n }, (_, i) => {
    const category = labels[i % labels.length]!;
    const words = [pick(topics[category]!), pick(topics[category]!), pick(filler), pick(filler), pick(filler)];
    return { text: words.sort(() => rand() - 0.5).join(' '), category };
  });
  return out.sort((a, b) => (a.category < b.category ? -1 : a.category > b.category ? 1 : 0));
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function tandem(args: string[], timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tandem ${args.join(' ')} took over ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function parseOnlyObject(run: Run): Record<string, any> {
  assert.equal(run.code, 0, `exit code; stderr:\n${run.stderr}`);
  const lines = run.stdout.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `exactly one line on stdout, got:\n${run.stdout}`);
  const report = JSON.parse(lines[0]!);
  assert.equal(typeof report, 'object');
  return report;
}

function assertShare(report: Record<string, any>, key: string): void {
  const v = report[key];
  assert.ok(typeof v === 'number' && v >= 0 && v <= 1, `${key} = ${v} is a share in [0, 1]`);
}

function assertCommon(r: Record<string, any>): void {
  for (const key of ['modelAccuracy', 'macroF1', 'finalAccuracy', 'humanShare', 'routedShare', 'automationRate', 'oracleShare', 'ece']) assertShare(r, key);
  // A route is either the machine's or people's; people may also touch an automatic decision (audit).
  assert.ok(Math.abs(r.automationRate + r.routedShare - 1) < 1e-9, `automation ${r.automationRate} + routed ${r.routedShare} = 1`);
  assert.ok(r.humanShare >= r.routedShare - 1e-9, 'every item routed to people was touched by one');
  const e = r.estimatedAccuracy;
  assert.ok(e && e.lower <= e.estimate && e.estimate <= e.upper && e.lower >= 0 && e.upper <= 1, `estimate with its interval: ${JSON.stringify(e)}`);
  const answers = Object.values(r.answers as Record<string, number>).reduce((a, b) => a + b, 0);
  assert.ok(answers >= Math.round(r.humanShare * r.items), 'at least one answer per touched item');
  assert.ok(r.humanHours > 0 && r.humanHours < (answers * 30 * 20) / 3600, `human-hours ${r.humanHours} for ${answers} answers of ~30 s`);
  assert.equal(typeof r.targetMet, 'boolean');
  assert.equal(r.targetMet, r.finalAccuracy >= r.targetAccuracy);
  assert.ok(r.plan && typeof r.plan.feasible === 'boolean' && r.plan.reviewers >= 1, JSON.stringify(r.plan));
  assert.ok(r.elapsedSeconds > 0 && r.elapsedSeconds === r.seconds.elapsed);
}

describe('tandem bench routing', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tandem-bench-routing-'));
    const csv = (xs: Array<{ text: string; category: string }>) => ['text,category', ...xs.map((x) => `"${x.text}",${x.category}`)].join('\n');
    writeFileSync(join(dir, 'train.csv'), `${csv(rows(400, 1))}\n`);
    writeFileSync(join(dir, 'test.jsonl'), `${rows(200, 2).map((x) => JSON.stringify(x)).join('\n')}\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const files = () => ['--train', join(dir, 'train.csv'), '--test', join(dir, 'test.jsonl'), '--label-column', 'category'];

  test('warm: trained on the history, it automates most of the test set and meets the target', async () => {
    const chart = join(dir, 'warm.svg');
    const run = await tandem(['bench', 'routing', ...files(), '--target-accuracy', '0.95', '--json', '--chart', chart, '--seed', '7']);
    const r = parseOnlyObject(run);
    assert.equal(r.mode, 'warm');
    assert.equal(r.scope, 'test');
    assert.equal(r.items, 200);
    assert.equal(r.labels, 4);
    assertCommon(r);
    assert.ok(r.modelAccuracy >= 0.95, `model accuracy ${r.modelAccuracy} on easy data`);
    assert.ok(r.finalAccuracy >= 0.95, `final accuracy ${r.finalAccuracy}`);
    assert.ok(r.automationRate > 0, 'the trained model decides some items');
    assert.ok(r.oracleShare <= 0.05, `oracle share ${r.oracleShare}`);
    assert.ok(r.initialPlan && r.initialPlan.evidence.known > 0, 'the first plan rests on held-out outcomes');
    assert.equal(r.modelVersions, 1 + r.retrains);
    assert.match(run.stderr, /streaming test \[#+\] 200\/200/, 'a progress bar on stderr');
    assert.match(readFileSync(chart, 'utf8'), /^<svg[\s\S]*<\/svg>\n$/);
  });

  test('cold start: everything to people at first, then the model takes over; learning curve and chart', async () => {
    const chart = join(dir, 'cold.svg');
    const run = await tandem(['bench', 'routing', ...files(), '--cold-start', '--retrain-every', '50', '--target-accuracy', '0.95', '--json', '--chart', chart]);
    const r = parseOnlyObject(run);
    assert.equal(r.mode, 'cold-start');
    assert.equal(r.scope, 'stream');
    assert.equal(r.items, 600);
    assertCommon(r);
    assert.ok(r.finalAccuracy >= 0.95, `final accuracy ${r.finalAccuracy}`);
    assert.ok(r.retrains >= 2, `retrains: ${r.retrains}`);
    assert.ok(r.testOnly && r.testOnly.items === 200, JSON.stringify(r.testOnly));
    assert.ok(r.testOnly.automationRate > r.learningCurve[0].automationRate, `it automates more once it has learned: ${JSON.stringify(r.learningCurve)} vs test ${r.testOnly.automationRate}`);
    assert.deepEqual(r.learningCurve.map((p: { from: number; items: number }) => [p.from, p.items]), [[0, 500], [500, 100]]);
    for (const p of r.learningCurve) for (const k of ['automationRate', 'humanShare', 'accuracy']) assert.ok(p[k] >= 0 && p[k] <= 1, `${k} ${p[k]}`);
    assert.equal(r.chart, chart);
    assert.ok(existsSync(chart));
    const svg = readFileSync(chart, 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal((svg.match(/<path /g) ?? []).length, 2, 'two lines: automation rate and accuracy');
    assert.match(svg, /items streamed/);
    assert.match(svg, /automation rate/);
  });

  test('a missing file or a bad option is a one-line usage error, with nothing run', async () => {
    const missing = await tandem(['bench', 'routing', '--train', join(dir, 'train.csv')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--train and --test are required/);
    const bad = await tandem(['bench', 'routing', ...files(), '--target-accuracy', '1.5']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--target-accuracy must be/);
    const column = await tandem(['bench', 'routing', '--train', join(dir, 'train.csv'), '--test', join(dir, 'test.jsonl')]);
    assert.equal(column.code, 2);
    assert.match(column.stderr, /no column "label"/);
  });
});

describe('bench routing figures', () => {
  test('the hindsight threshold is the least human share meeting the target in expectation', () => {
    const items = [
      { confidence: 0.99, right: true },
      { confidence: 0.95, right: true },
      { confidence: 0.9, right: false },
      { confidence: 0.8, right: true },
    ];
    // Automating the top two: (2 + 2 × 0.9) / 4 = 0.95.
    const h = hindsightThreshold(items, 0.95 - 1e-9, 0.9, 1);
    assert.equal(h?.threshold, 0.95);
    assert.equal(h?.humanShare, 0.5);
    assert.ok(Math.abs(h!.expectedAccuracy - 0.95) < 1e-9);
    assert.equal(hindsightThreshold(items, 0.99, 0.9, 1), null);
    assert.equal(hindsightThreshold(items, 0.99, 1, 3)?.threshold, 0.95);
  });

  test('the chart: round ticks, one path per series, text escaped', () => {
    assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(0, 13083, 8), [0, 2000, 4000, 6000, 8000, 10000, 12000]);
    const svg = renderLineChart({
      title: 'a <b> & c',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        { name: 's1', color: 'red', points: [[0, 0.1], [10, 0.5]] },
        { name: 's2', color: 'blue', points: [[0, 0.9], [10, 2]] },
      ],
      references: [{ y: 0.95, label: 'target', color: '#888' }],
    });
    assert.match(svg, /a &lt;b&gt; &amp; c/);
    assert.equal((svg.match(/<path /g) ?? []).length, 2);
    // y above the range is drawn at the top edge, not outside the plot.
    const tops = [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    assert.ok(Math.min(...tops) >= 44, String(tops));
  });
});
