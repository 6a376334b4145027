// `tandem bench routing`: the feedback loop, measured. The real engine on a throw-away embedded
// database, fed a labelled data set as live traffic, with simulated people who answer what it
// routes to them (right with a given probability, after a random handle time that is added up,
// never slept). It reports what the machine got right, what the final decisions got right, how
// much of the work people did, what Tandem believed its accuracy was, and what an oracle that
// routed exactly the model's mistakes would have cost.
import { writeFileSync } from 'node:fs';
import { expectedCalibrationError } from '../core/calibration.ts';
import { macroF1 } from '../core/metrics.ts';
import { majorityAccuracy, seededRandom } from '../core/estimate.ts';
import type { ThresholdPlan } from '../core/thresholds.ts';
import type { Route } from '../core/types.ts';
import { workflowSpec } from '../core/workflow.ts';
import { addReviewer } from '../engine/access.ts';
import { createEngine, type Engine } from '../engine/engine.ts';
import { importLabels } from '../engine/importLabels.ts';
import type { Principal } from '../engine/principals.ts';
import { retrainDue, retrainWorkflow } from '../engine/retrain.ts';
import { submitItem } from '../engine/submit.ts';
import { answer, claimTask } from '../engine/work.ts';
import { createWorkflow } from '../engine/workflows.ts';
import { openDb } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { listModelVersions } from '../store/modelVersions.ts';
import { latestTuning, type TuningRow } from '../store/tunings.ts';
import { numberFlag, parseFlags, UsageError } from './flags.ts';
import { renderLineChart } from './svgChart.ts';
import { Progress } from './progress.ts';
import { readRows } from './tables.ts';

export interface RoutingBenchOptions {
  train: string;
  test: string;
  textColumn: string;
  labelColumn: string;
  targetAccuracy: number;
  reviewerAccuracy: number;
  handleSeconds: number;
  coldStart: boolean;
  /** New human labels that trigger a retrain (which also re-plans the thresholds). */
  retrainEvery: number;
  /** Share of automatic decisions also sent to a person. */
  auditRate: number;
  /** SVG file for the learning curve; null: none. */
  chart: string | null;
  json: boolean;
  seed: number;
}

export const routingUsage = `usage: tandem bench routing --train FILE --test FILE [options]

Runs the engine on a throw-away embedded database with simulated reviewers and reports model
accuracy, final accuracy, the share of items people touched, human-hours, the accuracy Tandem
estimated, and the share an oracle would have sent to people. FILE is .csv or .jsonl.

options:
  --text-column NAME        column with the text (default text)
  --label-column NAME       column with the gold label (default label)
  --target-accuracy P       the workflow's target accuracy (default 0.97)
  --reviewer-accuracy P     chance a simulated reviewer gives the gold label (default 0.98)
  --handle-seconds S        mean handle time per task, lognormal (default 30)
  --audit-rate P            share of automatic decisions audited by a person (default 0.02)
  --cold-start              no labelled history: stream train then test as live traffic
  --retrain-every N         retrain after N new human labels (default 1000; 200 with --cold-start)
  --chart FILE.svg          learning-curve chart (default with --cold-start: ./routing-learning-curve.svg)
  --json                    one JSON object on stdout instead of the table
  --seed N                  seeds the stream order, the reviewers and the audits (default 1)
`;

export function parseRoutingArgs(argv: string[]): RoutingBenchOptions {
  const values = parseFlags(argv, {
    train: { type: 'string' },
    test: { type: 'string' },
    'text-column': { type: 'string' },
    'label-column': { type: 'string' },
    'target-accuracy': { type: 'string' },
    'reviewer-accuracy': { type: 'string' },
    'handle-seconds': { type: 'string' },
    'audit-rate': { type: 'string' },
    'cold-start': { type: 'boolean' },
    'retrain-every': { type: 'string' },
    chart: { type: 'string' },
    json: { type: 'boolean' },
    seed: { type: 'string' },
  });
  if (!values.train || !values.test) throw new UsageError('--train and --test are required');
  const coldStart = values['cold-start'] ?? false;
  const chart = values.chart ?? (coldStart ? './routing-learning-curve.svg' : null);
  if (chart !== null && !/\.svg$/i.test(chart)) throw new UsageError(`--chart writes SVG: name a .svg file, not "${chart}"`);
  return {
    train: values.train,
    test: values.test,
    textColumn: values['text-column'] ?? 'text',
    labelColumn: values['label-column'] ?? 'label',
    // The workflow schema's own bounds, so the workflow below always accepts them.
    targetAccuracy: numberFlag('target-accuracy', values['target-accuracy'], (n) => n >= 0.5 && n <= 0.9999, 'a probability from 0.5 to 0.9999') ?? 0.97,
    reviewerAccuracy: numberFlag('reviewer-accuracy', values['reviewer-accuracy'], (n) => n >= 0.5 && n <= 1, 'a probability from 0.5 to 1') ?? 0.98,
    handleSeconds: numberFlag('handle-seconds', values['handle-seconds'], (n) => n > 0 && n <= 86_400, 'a number of seconds above 0') ?? 30,
    auditRate: numberFlag('audit-rate', values['audit-rate'], (n) => n >= 0 && n <= 1, 'a share from 0 to 1') ?? 0.02,
    coldStart,
    retrainEvery: numberFlag('retrain-every', values['retrain-every'], (n) => Number.isInteger(n) && n >= 1 && n <= 1_000_000, 'a whole number from 1 to 1000000') ?? (coldStart ? 200 : 1000),
    chart,
    json: values.json ?? false,
    seed: numberFlag('seed', values.seed, (n) => Number.isInteger(n) && n >= 0 && n <= 2 ** 32 - 1, 'a whole number from 0 to 4294967295') ?? 1,
  };
}

export interface Interval {
  estimate: number;
  lower: number;
  upper: number;
}

export interface CurvePoint {
  /** Items streamed before this window, and in it. */
  from: number;
  items: number;
  automationRate: number;
  humanShare: number;
  /** Accuracy of the final decisions on the window's items. */
  accuracy: number;
}

export interface RoutingBenchReport {
  mode: 'warm' | 'cold-start';
  /** Items the decision figures are over: the test set (warm) or the whole stream (cold start). */
  scope: 'test' | 'stream';
  items: number;
  trainRows: number;
  testRows: number;
  labels: number;
  targetAccuracy: number;
  reviewerAccuracy: number;
  auditRate: number;
  /** The model as deployed: the predictions stored on the test items when they were routed. */
  modelAccuracy: number;
  macroF1: number;
  /** 15 equal-width bins of those predictions' confidence. */
  ece: number;
  finalAccuracy: number;
  targetMet: boolean;
  /** Share of items that any person answered a task on (reviews, votes, escalations, audits). */
  humanShare: number;
  /** Share of items sent to people when routed (audits of automatic decisions not counted). */
  routedShare: number;
  automationRate: number;
  /** Share of items the model got wrong: what routing exactly its mistakes would send to people. */
  oracleShare: number;
  humanHours: number;
  /** Answers people gave, by task kind. */
  answers: Record<string, number>;
  /** Why items went to people when routed (one count per item, the first reason that sent it). */
  peopleBecause: Record<string, number>;
  /** Items routed to people whose model label was right anyway. */
  routedButModelRight: number;
  /** The best single global threshold in hindsight, one person per item and the majority of three. */
  hindsight: { onePerson: Hindsight | null; majorityOfThree: Hindsight | null };
  /** Tandem's own estimate of the final accuracy, from the plan in force at the end. */
  estimatedAccuracy: Interval | null;
  /** The plan made right after the initial training (warm mode), for comparison. */
  initialPlan: PlanSummary | null;
  plan: PlanSummary | null;
  retrains: number;
  modelVersions: number;
  tunings: number;
  /** Why the plans were made, by kind of reason. */
  tunedBecause: Record<string, number>;
  retrainEvery: number;
  /** Decision figures on the test part alone (cold start, where the scope is the whole stream). */
  testOnly: { items: number; finalAccuracy: number; humanShare: number; automationRate: number; oracleShare: number } | null;
  learningCurve: CurvePoint[];
  chart: string | null;
  seed: number;
  elapsedSeconds: number;
  seconds: { elapsed: number; prepare: number; initialTraining: number; stream: number };
}

export interface PlanSummary {
  feasible: boolean;
  reviewers: number;
  threshold: number | null;
  labelThresholds: Record<string, number | null>;
  /** Per-label thresholds in force: how many, and their spread. */
  labelThresholdSpread: { count: number; min: number | null; median: number | null; max: number | null; never: number };
  plannedHumanShare: number;
  estimatedAccuracy: Interval;
  evidence: { items: number; known: number };
  reason: string | null;
  tunedBecause: string;
}

/** The plan routing follows: the consensus one when one person per item cannot meet the target. */
function planSummary(row: TuningRow | null): PlanSummary | null {
  const stored = row?.plan as ThresholdPlan | undefined;
  if (!row || !stored) return null;
  const plan = !stored.feasible && stored.consensus ? stored.consensus : stored;
  const values = Object.values(plan.labelThresholds);
  const set = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  return {
    feasible: plan.feasible,
    reviewers: plan.reviewers,
    threshold: plan.threshold,
    labelThresholds: plan.labelThresholds,
    labelThresholdSpread: {
      count: values.length,
      min: set[0] ?? null,
      median: set.length > 0 ? set[Math.floor(set.length / 2)]! : null,
      max: set[set.length - 1] ?? null,
      never: values.length - set.length,
    },
    plannedHumanShare: plan.humanShare,
    estimatedAccuracy: plan.estimatedAccuracy,
    evidence: plan.evidence,
    reason: stored.reason,
    tunedBecause: row.reason,
  };
}

type Labelled = { text: string; label: string };

function readLabelled(file: string, options: RoutingBenchOptions): Labelled[] {
  let rows;
  try {
    rows = readRows(file);
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (rows.length === 0) throw new UsageError(`${file} has no rows`);
  const first = rows[0]!;
  for (const c of [options.textColumn, options.labelColumn]) {
    if (!(c in first)) throw new UsageError(`${file} has no column "${c}" (it has: ${Object.keys(first).join(', ')}); see --text-column and --label-column`);
  }
  const out: Labelled[] = [];
  for (const r of rows) {
    const text = r[options.textColumn]?.trim();
    const label = r[options.labelColumn]?.trim();
    if (text && label) out.push({ text, label });
  }
  if (out.length === 0) throw new UsageError(`${file} has no row with both a text and a label`);
  return out;
}

function shuffled<T>(xs: readonly T[], rand: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Lognormal handle times with the given mean: most tasks are quick, a few take much longer. */
function handleTimes(mean: number, rand: () => number): () => number {
  const sigma = 0.6;
  const mu = Math.log(mean) - (sigma * sigma) / 2;
  return () => {
    const u = Math.max(rand(), 1e-12);
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
    return Math.exp(mu + sigma * z);
  };
}

function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

export interface Hindsight {
  reviewers: number;
  /** The global threshold chosen knowing every item's gold label; null: nothing automated. */
  threshold: number | null;
  humanShare: number;
  /** Expected final accuracy at that threshold (people right at their majority accuracy). */
  expectedAccuracy: number;
}

/**
 * The least human share any one global threshold could have had on these predictions while
 * meeting the target in expectation, chosen with the gold labels in hand: the floor a planner
 * that must work from evidence alone is measured against (null when no threshold meets it).
 */
export function hindsightThreshold(
  items: ReadonlyArray<{ confidence: number | null; right: boolean }>,
  target: number,
  humanAccuracy: number,
  reviewers: number,
): Hindsight | null {
  const n = items.length;
  if (n === 0) return null;
  const scored = items.filter((i): i is { confidence: number; right: boolean } => i.confidence !== null).sort((a, b) => b.confidence - a.confidence);
  let best: Hindsight | null = humanAccuracy >= target ? { reviewers, threshold: null, humanShare: 1, expectedAccuracy: humanAccuracy } : null;
  let right = 0;
  for (let k = 0; k < scored.length; k++) {
    right += scored[k]!.right ? 1 : 0;
    // Ties automate together: a threshold cannot split equal confidences.
    if (k + 1 < scored.length && scored[k + 1]!.confidence === scored[k]!.confidence) continue;
    const auto = k + 1;
    const expected = (right + (n - auto) * humanAccuracy) / n;
    if (expected >= target && (best === null || 1 - auto / n < best.humanShare)) {
      best = { reviewers, threshold: scored[k]!.confidence, humanShare: 1 - auto / n, expectedAccuracy: expected };
    }
  }
  return best;
}

interface ItemOutcome {
  index: number;
  predicted: string | null;
  confidence: number | null;
  route: Route;
  final: string | null;
  touched: boolean;
}

interface Person {
  principal: Principal;
}

const workflowName = 'bench-routing';

export async function runRoutingBench(options: RoutingBenchOptions): Promise<RoutingBenchReport> {
  const started = performance.now();
  const train = readLabelled(options.train, options);
  const test = readLabelled(options.test, options);
  const labels = [...new Set([...train, ...test].map((r) => r.label))];
  if (labels.length < 2) throw new UsageError('the files name fewer than two labels: there is nothing to classify');
  if (labels.length > 1000) throw new UsageError(`the files name ${labels.length} labels; a workflow takes at most 1000`);
  const long = labels.find((l) => l.length > 100);
  if (long !== undefined) throw new UsageError(`label "${long.slice(0, 40)}…" is longer than 100 characters`);

  const orderRand = seededRandom(options.seed);
  const answerRand = seededRandom(options.seed + 1);
  const handleTime = handleTimes(options.handleSeconds, seededRandom(options.seed + 2));
  // Data sets are often sorted by label; live traffic is not.
  const testStream = shuffled(test, orderRand);
  const stream = options.coldStart ? [...shuffled(train, orderRand), ...testStream] : testStream;
  const testFrom = stream.length - testStream.length;

  const db = await openDb({ dataDir: 'memory://' });
  let engine: Engine | null = null;
  try {
    await migrate(db);
    engine = await createEngine(db);
    const spec = workflowSpec.parse({
      name: workflowName,
      description: `tandem bench routing on ${options.train} and ${options.test}`,
      answerType: 'label',
      labels,
      model: { type: 'builtin', retrainEvery: options.retrainEvery },
      policy: { auditRate: options.auditRate, seed: `bench-${options.seed}` },
      targetAccuracy: options.targetAccuracy,
      reviewerAccuracy: options.reviewerAccuracy,
    });
    const wf = await createWorkflow(db, engine.workflows, spec);

    // A consensus plan may ask up to nine distinct people for one item; a lead settles disagreements.
    const people: Person[] = [];
    for (let i = 1; i <= 10; i++) {
      const role = i === 10 ? 'lead' : 'reviewer';
      const { reviewer } = await addReviewer(db, { email: `${role}${i}@bench.invalid`, role, workflows: [workflowName], password: 'bench-password' });
      people.push({ principal: { kind: 'person', reviewer } });
    }
    const submitter: Principal = { kind: 'key', id: 'bench', name: 'bench', role: 'service', workflows: [workflowName] };

    let initialPlan: PlanSummary | null = null;
    const prepared = performance.now();
    if (!options.coldStart) {
      const bar = new Progress('importing', train.length);
      const imported = await importLabels(db, wf, train, { text: 'text', label: 'label' }, (done) => bar.update(done));
      bar.finish();
      note(`training the first model on ${imported.imported} labelled examples…`);
      const trained = await retrainWorkflow(engine, workflowName, true);
      if (!trained.trained) throw new Error(`the first model did not train: ${trained.reason}`);
      note(`model v${trained.version.version}: ${trained.version.training_size} examples in ${trained.version.training_ms} ms, held-out accuracy ${fmt(Number(trained.version.scores.accuracy))}`);
      initialPlan = planSummary(await latestTuning(db, workflowName));
    }
    const trainedAt = performance.now();

    const gold = new Map<string, string>();
    const indexOf = new Map<string, number>();
    let humanSeconds = 0;
    let turn = 0;
    const openTasks = async (): Promise<number> =>
      (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE workflow = $1::text AND status = 'open'`, [workflowName]))[0]?.n ?? 0;

    /** People take turns at the open tasks until none is left; returns how many answers they gave. */
    const drain = async (e: Engine): Promise<number> => {
      let pending = await openTasks();
      let answered = 0;
      let misses = 0;
      while (pending > 0) {
        const person = people[turn]!;
        turn = (turn + 1) % people.length;
        const claimed = await claimTask(e, person.principal, { workflow: workflowName });
        if (!claimed) {
          // Votes skip people who voted on the item already, and escalations everyone but the lead.
          if (++misses >= people.length) {
            pending = await openTasks();
            if (pending > 0) throw new Error(`${pending} open tasks that none of the ${people.length} simulated people can claim`);
          }
          continue;
        }
        misses = 0;
        pending--;
        const truth = gold.get(claimed.item.id);
        if (truth === undefined) throw new Error(`a task for an item the bench did not submit (${claimed.item.id})`);
        let label = truth;
        if (answerRand() >= options.reviewerAccuracy) {
          const others = labels.filter((l) => l !== truth);
          label = others[Math.floor(answerRand() * others.length)]!;
        }
        const seconds = handleTime();
        humanSeconds += seconds;
        const done = await answer(e, person.principal, {
          taskId: claimed.task.id,
          assignment: claimed.task.assignment,
          outcome: { label },
          timeSpentMs: Math.round(seconds * 1000),
        });
        answered++;
        if (done.escalationId !== null) pending++;
      }
      return answered;
    };

    let retrains = 0;
    const bar = new Progress(options.coldStart ? 'cold start' : 'streaming test', stream.length);
    for (let i = 0; i < stream.length; i++) {
      const row = stream[i]!;
      const submitted = await submitItem(engine, submitter, { workflow: workflowName, text: row.text, idempotencyKey: `bench-${i}` });
      gold.set(submitted.itemId, row.label);
      indexOf.set(submitted.itemId, i);
      if (submitted.status === 'pending' || submitted.route.audit) {
        // The background job runs between requests; new answers are the only thing it acts on here.
        if ((await drain(engine)) > 0) {
          for (const r of await retrainDue(engine)) if (r.trained) retrains++;
        }
      }
      bar.update(i + 1);
    }
    bar.finish();
    const streamed = performance.now();

    const rows = await db.query<{ id: string; predicted: string | null; confidence: number | null; route: Route; final: string | null; touched: boolean }>(
      `SELECT i.id::text AS id, i.prediction->>'label' AS predicted, (i.prediction->>'confidence')::float8 AS confidence, i.route,
              (SELECT coalesce(d.outcome->>'label', d.outcome->>'verdict') FROM decisions d WHERE d.item_id = i.id ORDER BY d.version DESC LIMIT 1) AS final,
              EXISTS (SELECT 1 FROM answers a WHERE a.item_id = i.id) AS touched
       FROM items i WHERE i.workflow = $1::text`,
      [workflowName],
    );
    const outcomes: ItemOutcome[] = rows.map((r) => {
      const index = indexOf.get(r.id);
      if (index === undefined) throw new Error(`item ${r.id} was not submitted by the bench`);
      return { index, predicted: r.predicted, confidence: r.confidence, route: r.route, final: r.final, touched: r.touched };
    });
    outcomes.sort((a, b) => a.index - b.index);
    const goldAt = (o: ItemOutcome): string => stream[o.index]!.label;

    const testItems = outcomes.filter((o) => o.index >= testFrom);
    const scoped = options.coldStart ? outcomes : testItems;
    const share = (xs: ItemOutcome[], f: (o: ItemOutcome) => boolean): number => (xs.length > 0 ? xs.filter(f).length / xs.length : Number.NaN);
    const modelRight = (o: ItemOutcome): boolean => o.predicted !== null && o.predicted === goldAt(o);
    const finalRight = (o: ItemOutcome): boolean => o.final !== null && o.final === goldAt(o);
    const routedToPeople = (o: ItemOutcome): boolean => o.route.route !== 'auto';

    const scored = testItems.filter((o) => o.predicted !== null && o.confidence !== null);
    const ece = expectedCalibrationError(
      scored.map((o) => o.confidence!),
      scored.map(modelRight),
      15,
    );

    const answerRows = await db.query<{ kind: string; n: number }>(
      `SELECT t.kind, count(*)::int AS n FROM answers a JOIN tasks t ON t.id = a.task_id WHERE t.workflow = $1::text GROUP BY t.kind ORDER BY t.kind`,
      [workflowName],
    );
    const peopleBecause: Record<string, number> = {};
    for (const o of scoped) {
      if (o.route.route === 'auto') {
        if (o.route.audit) peopleBecause.audit_sample = (peopleBecause.audit_sample ?? 0) + 1;
        continue;
      }
      const why = o.route.reasons.find((r) => r.code !== 'target_accuracy')?.code ?? 'target_accuracy';
      peopleBecause[why] = (peopleBecause[why] ?? 0) + 1;
    }

    const windowSize = 500;
    const learningCurve: CurvePoint[] = [];
    const curveOver = options.coldStart ? outcomes : testItems;
    for (let from = 0; from < curveOver.length; from += windowSize) {
      const w = curveOver.slice(from, from + windowSize);
      learningCurve.push({
        from,
        items: w.length,
        automationRate: share(w, (o) => o.route.route === 'auto'),
        humanShare: share(w, (o) => o.touched),
        accuracy: share(w, finalRight),
      });
    }

    let chart: string | null = null;
    if (options.chart !== null) {
      const end = (p: CurvePoint): number => p.from + p.items;
      writeFileSync(
        options.chart,
        renderLineChart({
          title: `Tandem ${options.coldStart ? 'cold start' : 'warm start'}: target ${pct(options.targetAccuracy)}, reviewers right ${pct(options.reviewerAccuracy)}`,
          xLabel: options.coldStart ? 'items streamed (train, then test)' : 'test items streamed',
          yLabel: `share of the last ${windowSize} items`,
          series: [
            { name: 'automation rate (decided by the machine)', color: '#1f77b4', points: learningCurve.map((p) => [end(p), p.automationRate] as const) },
            { name: 'accuracy of final decisions', color: '#d62728', points: learningCurve.map((p) => [end(p), p.accuracy] as const) },
          ],
          references: [{ y: options.targetAccuracy, label: `target ${pct(options.targetAccuracy)}`, color: '#888' }],
        }),
      );
      chart = options.chart;
    }

    const versions = await listModelVersions(db, workflowName);
    const tunedBecause: Record<string, number> = {};
    let tunings = 0;
    for (const t of await db.query<{ reason: string }>('SELECT reason FROM policy_tunings WHERE workflow = $1::text', [workflowName])) {
      // "model v12 trained" and "drift: Audits found 3 of 9 …" counted by kind, not by their figures.
      const kind = t.reason.replace(/^model v\d+/, 'model').replace(/:.*$/s, '');
      tunedBecause[kind] = (tunedBecause[kind] ?? 0) + 1;
      tunings++;
    }
    const plan = planSummary(await latestTuning(db, workflowName));
    const finalAccuracy = share(scoped, finalRight);
    const done = performance.now();
    return {
      mode: options.coldStart ? 'cold-start' : 'warm',
      scope: options.coldStart ? 'stream' : 'test',
      items: scoped.length,
      trainRows: train.length,
      testRows: test.length,
      labels: labels.length,
      targetAccuracy: options.targetAccuracy,
      reviewerAccuracy: options.reviewerAccuracy,
      auditRate: options.auditRate,
      modelAccuracy: share(testItems, modelRight),
      macroF1: macroF1(testItems.map((o) => ({ gold: goldAt(o), predicted: o.predicted }))),
      ece,
      finalAccuracy,
      targetMet: finalAccuracy >= options.targetAccuracy,
      humanShare: share(scoped, (o) => o.touched),
      routedShare: share(scoped, routedToPeople),
      automationRate: share(scoped, (o) => o.route.route === 'auto'),
      oracleShare: share(scoped, (o) => !modelRight(o)),
      humanHours: humanSeconds / 3600,
      answers: Object.fromEntries(answerRows.map((r) => [r.kind, r.n])),
      peopleBecause,
      routedButModelRight: scoped.filter((o) => routedToPeople(o) && modelRight(o)).length,
      hindsight: {
        onePerson: hindsightThreshold(
          scoped.map((o) => ({ confidence: o.confidence, right: modelRight(o) })),
          options.targetAccuracy,
          options.reviewerAccuracy,
          1,
        ),
        majorityOfThree: hindsightThreshold(
          scoped.map((o) => ({ confidence: o.confidence, right: modelRight(o) })),
          options.targetAccuracy,
          majorityAccuracy(options.reviewerAccuracy, 3),
          3,
        ),
      },
      estimatedAccuracy: plan?.estimatedAccuracy ?? null,
      initialPlan,
      plan,
      retrains,
      modelVersions: versions.length,
      tunings,
      tunedBecause,
      retrainEvery: options.retrainEvery,
      testOnly: options.coldStart
        ? {
            items: testItems.length,
            finalAccuracy: share(testItems, finalRight),
            humanShare: share(testItems, (o) => o.touched),
            automationRate: share(testItems, (o) => o.route.route === 'auto'),
            oracleShare: share(testItems, (o) => !modelRight(o)),
          }
        : null,
      learningCurve,
      chart,
      seed: options.seed,
      elapsedSeconds: (done - started) / 1000,
      seconds: {
        elapsed: (done - started) / 1000,
        prepare: (prepared - started) / 1000,
        initialTraining: (trainedAt - prepared) / 1000,
        stream: (streamed - trainedAt) / 1000,
      },
    };
  } finally {
    await engine?.close();
    await db.close();
  }
}

function fmt(x: number | null | undefined, digits = 3): string {
  return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : 'n/a';
}

function pct(x: number | null | undefined): string {
  return typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : 'n/a';
}

function interval(i: Interval | null): string {
  return i ? `${fmt(i.estimate)} (one-sided 95 % bounds ${fmt(i.lower)} – ${fmt(i.upper)})` : 'n/a (no plan)';
}

function hindsightText(h: Hindsight | null): string {
  if (!h) return 'none meets the target';
  return `${h.threshold === null ? 'automate nothing' : `threshold ${fmt(h.threshold)}`}, people ${pct(h.humanShare)} (expected accuracy ${fmt(h.expectedAccuracy)})`;
}

function thresholds(p: PlanSummary | null): string {
  if (!p) return 'none (no plan)';
  const s = p.labelThresholdSpread;
  const global = p.threshold === null ? 'global: none' : `global ${fmt(p.threshold)}`;
  if (s.count === 0) return global;
  return `${global}; per label (${s.count}): min ${fmt(s.min)}, median ${fmt(s.median)}, max ${fmt(s.max)}, ${s.never} never automated`;
}

export function formatRoutingReport(r: RoutingBenchReport): string {
  const over = r.scope === 'test' ? `the ${r.items} test items` : `the whole stream of ${r.items} items (train, then test)`;
  const lines: Array<[string, string]> = [
    ['mode', `${r.mode}; ${r.labels} labels; ${r.trainRows} train rows, ${r.testRows} test rows; seed ${r.seed}`],
    ['model accuracy (test, as deployed)', fmt(r.modelAccuracy)],
    ['model macro-F1 (test)', fmt(r.macroF1)],
    ['model ECE (test, 15 bins)', fmt(r.ece)],
    ['final accuracy', `${fmt(r.finalAccuracy)} against a target of ${fmt(r.targetAccuracy)}: ${r.targetMet ? 'met' : `missed by ${fmt(r.targetAccuracy - r.finalAccuracy)}`}`],
    ['estimated accuracy (Tandem)', interval(r.estimatedAccuracy)],
    ['people touched', `${pct(r.humanShare)} of items (routed to people ${pct(r.routedShare)}, audits the rest)`],
    ['oracle share', `${pct(r.oracleShare)} (routing exactly the model's mistakes)`],
    ['automation rate', pct(r.automationRate)],
    ['human-hours', `${fmt(r.humanHours, 1)} h (${Object.entries(r.answers).map(([k, n]) => `${n} ${k}`).join(', ') || 'no answers'})`],
    ['to people because', Object.entries(r.peopleBecause).map(([k, n]) => `${k} ${n}`).join(', ') || 'nothing went to people'],
    ['routed to people, model right', String(r.routedButModelRight)],
    ['best threshold in hindsight', `${hindsightText(r.hindsight.onePerson)}; with a majority of 3: ${hindsightText(r.hindsight.majorityOfThree)}`],
    ['thresholds at the end', thresholds(r.plan)],
    ['plan at the end', r.plan ? `${r.plan.feasible ? 'feasible' : 'infeasible'}, ${r.plan.reviewers} reviewer(s) per item, planned human share ${pct(r.plan.plannedHumanShare)}, evidence ${r.plan.evidence.known} known of ${r.plan.evidence.items}` : 'none'],
  ];
  if (r.initialPlan) {
    lines.push(['plan after first training', `planned human share ${pct(r.initialPlan.plannedHumanShare)}, estimate ${interval(r.initialPlan.estimatedAccuracy)}`]);
  }
  lines.push(
    ['retraining', `${r.retrains} retrain(s) during the stream, every ${r.retrainEvery} new human labels; ${r.modelVersions} model version(s), ${r.tunings} plan(s) (${Object.entries(r.tunedBecause).map(([k, n]) => `${k} ${n}`).join(', ')})`],
    ['time', `${fmt(r.seconds.elapsed, 1)} s (initial training ${fmt(r.seconds.initialTraining, 1)} s, stream ${fmt(r.seconds.stream, 1)} s)`],
  );
  if (r.testOnly) {
    lines.push(['test part alone', `${r.testOnly.items} items: final accuracy ${fmt(r.testOnly.finalAccuracy)}, people touched ${pct(r.testOnly.humanShare)}, automation ${pct(r.testOnly.automationRate)}, oracle ${pct(r.testOnly.oracleShare)}`]);
  }
  const width = Math.max(...lines.map(([k]) => k.length));
  const out = [`tandem bench routing: decision figures over ${over}`, '', ...lines.map(([k, v]) => `${k.padEnd(width)}  ${v}`)];
  if (r.plan?.reason) out.push('', `plan note: ${r.plan.reason}`);
  if (r.mode === 'cold-start') {
    out.push('', 'learning curve (per 500 items)', `${'items'.padStart(13)}  ${'automation'.padStart(10)}  ${'people'.padStart(7)}  ${'accuracy'.padStart(8)}`);
    for (const p of r.learningCurve) {
      out.push(`${`${p.from + 1}–${p.from + p.items}`.padStart(13)}  ${pct(p.automationRate).padStart(10)}  ${pct(p.humanShare).padStart(7)}  ${fmt(p.accuracy).padStart(8)}`);
    }
  }
  if (r.chart) out.push('', `chart: ${r.chart}`);
  return `${out.join('\n')}\n`;
}

/** The subcommand: runs the bench, prints the table (or one JSON object) on stdout; `--help` prints the usage. */
export async function benchRoutingCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(routingUsage);
    return 0;
  }
  const options = parseRoutingArgs(argv);
  const report = await runRoutingBench(options);
  process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : formatRoutingReport(report));
  return 0;
}
