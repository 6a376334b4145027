// `tandem simulate`: a day of traffic with a surge, run through the real routing policy to a
// team of reviewers, with and without the surge policy — "how many people do we need on Black
// Friday?". By default the model is the built-in classifier as measured on the demo data and the
// policy is the demo workflow's; --workflow takes both, the handle times and the arrival rate
// from a workflow's own data instead.
import { readFileSync, writeFileSync } from 'node:fs';
import { compileRules, outcomeLabels, workflowSpec, type WorkflowSpec } from '../core/workflow.ts';
import {
  findReviewers, hourlyProfile, parseSurge, simulate, SimulationInputError, surgeProfile,
  type HandleTimes, type RateSegment, type ScoredItem, type SimulationInput, type SimulationResult, type Surge, type SurgeController, type Totals,
} from '../core/simulation.ts';
import { measureLoad } from '../engine/capacity.ts';
import type { EvidenceItem } from '../core/thresholds.ts';
import { gatherEvidence } from '../engine/tuning.ts';
import { createWorkflowCache } from '../engine/workflows.ts';
import type { Db } from '../store/db.ts';
import { missingWorkflows } from '../store/workflows.ts';
import { demoCalibration, demoSurgeSpec, demoWorkflowSpec } from './demoCalibration.ts';
import { surgeControllerFor } from '../core/surgeSimulation.ts';
import { numberFlag, parseFlags, UsageError } from './flags.ts';
import { renderLineChart } from './svgChart.ts';

export const simulateUsage = `usage: tandem simulate (--reviewers N | --find-reviewers) [options]

A discrete-event simulation of a day of traffic: items arrive at a rate with surges, the model
scores each (drawn from measured confidences and correctness), the workflow's real routing
policy decides, and N reviewers work the queue with measured handle times. Prints per hour the
wait (p50, p95), the share started within the target wait, accuracy and cost, with and without
the surge policy. Seeded: the same options give the same figures.

options:
  --arrivals-per-hour N   steady arrivals per hour (default 600, or measured with --workflow)
  --surge Fx@HH:MM-HH:MM  a surge, e.g. 3x@10:00-14:00 (repeatable)
  --profile FILE          a JSON list of arrivals per hour, hour 0 first (instead of the above)
  --hours H               hours to simulate (default 24, or the profile's length)
  --reviewers N           reviewers at work
  --find-reviewers        find the least reviewers meeting the target during the surge
  --service-level P       target share of tasks started within the wait (default 0.8)
  --within-seconds T      the target wait (default 60)
  --handle-seconds S      mean handle time, lognormal (default 60, or measured with --workflow)
  --handle-sigma X        spread of the lognormal handle time (default 0.8)
  --reviewer-accuracy P   how often a person is right (default the workflow's, 0.98)
  --reviewer-cost C       cost of a reviewer-hour (default the workflow's costs, else 30)
  --error-cost C          cost of a wrong decision (default the workflow's costs, else 5)
  --workflow NAME         a workflow's policy, model evidence, handle times and arrival rate
  --surge-policy FILE     a JSON surge policy (the workflow's "surge" field) to simulate instead
                          of the workflow's own (the demo has a built-in one)
  --seed N                random seed (default 1)
  --svg FILE              charts of queue depth and wait over the day
  --json                  one JSON object
`;

interface Setup {
  spec: WorkflowSpec;
  items: ScoredItem[];
  evidence: EvidenceItem[];
  modelNote: string;
  handle: HandleTimes;
  handleNote: string;
  arrivalsPerHour: number;
  arrivalsNote: string;
}

function readProfile(file: string): number[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--profile ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > 24 * 31 || !parsed.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)) {
    throw new UsageError(`--profile ${file} must be a JSON list of arrivals per hour (numbers ≥ 0), one per hour, at most 744`);
  }
  return parsed as number[];
}

export async function simulateCommand(args: string[], withDb: <T>(fn: (db: Db) => Promise<T>) => Promise<T>): Promise<number> {
  const values = parseFlags(args, {
    'arrivals-per-hour': { type: 'string' },
    surge: { type: 'string', multiple: true },
    profile: { type: 'string' },
    hours: { type: 'string' },
    reviewers: { type: 'string' },
    'find-reviewers': { type: 'boolean' },
    'service-level': { type: 'string' },
    'within-seconds': { type: 'string' },
    'handle-seconds': { type: 'string' },
    'handle-sigma': { type: 'string' },
    'reviewer-accuracy': { type: 'string' },
    'reviewer-cost': { type: 'string' },
    'error-cost': { type: 'string' },
    workflow: { type: 'string' },
    'surge-policy': { type: 'string' },
    seed: { type: 'string' },
    svg: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, simulateUsage);
  if (values.help) {
    process.stdout.write(simulateUsage);
    return 0;
  }
  const reviewers = numberFlag('reviewers', values.reviewers, (n) => Number.isInteger(n) && n >= 1 && n <= 100_000, 'a whole number from 1 to 100000');
  const find = values['find-reviewers'] === true;
  if ((reviewers === undefined) === !find) throw new UsageError('give either --reviewers N or --find-reviewers');
  const serviceLevel = numberFlag('service-level', values['service-level'], (n) => n > 0 && n < 1, 'a share between 0 and 1 (exclusive)') ?? 0.8;
  const withinSeconds = numberFlag('within-seconds', values['within-seconds'], (n) => n >= 0 && n <= 30 * 86_400, 'a number of seconds ≥ 0') ?? 60;
  const givenRate = numberFlag('arrivals-per-hour', values['arrivals-per-hour'], (n) => n >= 0 && n <= 1_000_000, 'a number of items per hour from 0 to 1000000');
  const givenHandle = numberFlag('handle-seconds', values['handle-seconds'], (n) => n > 0 && n <= 86_400, 'a number of seconds above 0');
  const sigma = numberFlag('handle-sigma', values['handle-sigma'], (n) => n >= 0 && n <= 5, 'a number from 0 to 5') ?? 0.8;
  const givenAccuracy = numberFlag('reviewer-accuracy', values['reviewer-accuracy'], (n) => n >= 0 && n <= 1, 'a share from 0 to 1');
  const givenReviewerCost = numberFlag('reviewer-cost', values['reviewer-cost'], (n) => n >= 0 && n <= 1_000_000, 'a number ≥ 0');
  const givenErrorCost = numberFlag('error-cost', values['error-cost'], (n) => n >= 0 && n <= 1_000_000_000, 'a number ≥ 0');
  const seed = numberFlag('seed', values.seed, (n) => Number.isInteger(n) && n >= 0 && n <= 2 ** 32 - 1, 'a whole number from 0 to 4294967295') ?? 1;
  const hoursGiven = numberFlag('hours', values.hours, (n) => Number.isInteger(n) && n >= 1 && n <= 24 * 31, 'a whole number of hours from 1 to 744');
  if (values.profile && (givenRate !== undefined || (values.surge ?? []).length > 0)) throw new UsageError('give --profile, or --arrivals-per-hour with --surge, not both');
  let surges: Surge[];
  try {
    surges = (values.surge ?? []).map(parseSurge);
  } catch (err) {
    if (err instanceof SimulationInputError) throw new UsageError(err.message);
    throw err;
  }
  const hourly = values.profile ? readProfile(values.profile) : null;

  const setup = values.workflow ? await workflowSetup(values.workflow, withDb, sigma, givenHandle) : demoSetup(sigma, givenHandle);
  const hours = hoursGiven ?? hourly?.length ?? 24;
  const base = givenRate ?? setup.arrivalsPerHour;
  const profile: RateSegment[] = hourly ? hourlyProfile(hourly).slice(0, hours) : surgeProfile(base, surges, hours);
  const spec = withSurgePolicy(setup.spec, values['surge-policy'] ?? null, values.workflow ? null : demoSurgeSpec(withinSeconds));
  const input: Omit<SimulationInput, 'reviewers'> = {
    seed,
    profile,
    items: setup.items,
    routing: { policy: spec.policy, rules: compileRules(spec.policy), labels: outcomeLabels(spec), answersPerItem: spec.consensus.answers },
    handle: setup.handle,
    reviewerAccuracy: givenAccuracy ?? spec.reviewerAccuracy,
    withinSeconds,
    costs: { reviewerPerHour: givenReviewerCost ?? spec.costs?.reviewerPerHour ?? 30, errorCost: givenErrorCost ?? spec.costs?.errorCost ?? 5 },
  };
  const currency = spec.costs?.currency ?? 'USD';
  const controller = surgeControllerFor(spec, setup.evidence) as SurgeController<unknown> | null;
  const policies: Array<{ name: string; surge: SurgeController<unknown> | null }> = [
    { name: 'without surge policy', surge: null },
    ...(controller ? [{ name: 'with surge policy', surge: controller }] : []),
  ];

  const runs: Array<{ name: string; reviewers: number; result: SimulationResult; found: boolean }> = [];
  try {
    for (const p of policies) {
      if (find) {
        process.stderr.write(`finding the least reviewers ${p.name}…\n`);
        const found = findReviewers({ ...input, surge: p.surge }, serviceLevel);
        if (!found) throw new UsageError(`no team of up to 5000 reviewers meets ${pct(serviceLevel, 0)} within ${withinSeconds} s ${p.name}`);
        runs.push({ name: p.name, reviewers: found.reviewers, result: found.result, found: true });
      } else {
        runs.push({ name: p.name, reviewers: reviewers!, result: simulate({ ...input, reviewers: reviewers!, surge: p.surge }), found: false });
      }
    }
  } catch (err) {
    if (err instanceof SimulationInputError) throw new UsageError(err.message);
    throw err;
  }

  if (values.svg) {
    writeFileSync(values.svg, charts(runs, withinSeconds));
    process.stderr.write(`wrote ${values.svg}\n`);
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({
      hours, seed, arrivalsPerHour: base, surges: surges.map((s) => ({ factor: s.factor, fromSeconds: s.fromSeconds, toSeconds: s.toSeconds })),
      serviceLevel, withinSeconds, model: setup.modelNote, handle: setup.handleNote, costs: { ...input.costs, currency },
      surgePolicy: spec.surge ?? null,
      runs: runs.map((r) => ({ policy: r.name, reviewers: r.reviewers, found: r.found, peak: r.result.peak, totals: r.result.totals, hours: r.result.hours })),
    })}\n`);
    return 0;
  }
  const peak = runs[0]!.result.peak;
  const out: string[] = [
    `Surge simulation: ${hours} h, ${hourly ? 'hourly profile' : `${count(base)} items/h${surges.length ? ` with ${(values.surge ?? []).join(', ')}` : ''}`}, seed ${seed}`,
    `  model    ${setup.modelNote}`,
    `  policy   ${spec.name}: threshold ${spec.policy.threshold}, ${spec.policy.rules.length} rules, ${pct(spec.policy.auditRate, 0)} audits, ${spec.consensus.answers} answer(s) per item`,
    `  people   handle time ${setup.handleNote}; ${pct(input.reviewerAccuracy, 1)} right; ${input.costs.reviewerPerHour} ${currency}/reviewer-hour, ${input.costs.errorCost} ${currency}/wrong decision`,
    `  target   ${pct(serviceLevel, 0)} of tasks started within ${withinSeconds} s; peak ${clock(peak.fromSeconds)}–${clock(peak.toSeconds)}`,
    spec.surge
      ? `  surge    ${spec.surge.order.join(' → ')} when the forecast wait reaches ${Math.round(spec.surge.enterAt * 100)} % of ${spec.surge.targetWaitSeconds ?? spec.slaSeconds} s, back below ${Math.round(spec.surge.exitAt * 100)} %${values['surge-policy'] ? ` (${values['surge-policy']})` : values.workflow ? '' : ' (the demo\'s, see tandem simulate --help)'}`
      : `  surge    ${spec.name} declares no surge policy (give one with --surge-policy FILE): only the plain policy is simulated`,
    '',
  ];
  if (find) {
    out.push(`Least reviewers meeting ${pct(serviceLevel, 0)} within ${withinSeconds} s during ${clock(peak.fromSeconds)}–${clock(peak.toSeconds)}: ` +
      runs.map((r) => `${r.reviewers} ${r.name}`).join(', ') + '.', '');
  }
  for (const r of runs) {
    out.push(hourTable(r.name, r.reviewers, r.result, withinSeconds, currency));
    const changes = r.result.surgeChanges;
    if (changes.length > 0) {
      const shown = changes.slice(0, 12).map((c) => `${clock(c.atSeconds)} ${c.state}`).join('; ');
      out.push(`surge policy: ${shown}${changes.length > 12 ? `; … ${changes.length - 12} more changes` : ''}`);
    }
    out.push('');
  }
  out.push(summary(runs, withinSeconds, currency));
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

/** The spec with the surge policy of `file`, else its own, else `fallback`; validated as a workflow. */
function withSurgePolicy(spec: WorkflowSpec, file: string | null, fallback: unknown): WorkflowSpec {
  let surge: unknown = spec.surge ?? fallback ?? undefined;
  if (file !== null) {
    try {
      surge = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new UsageError(`--surge-policy ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (surge === undefined) return spec;
  const parsed = workflowSpec.safeParse({ ...spec, surge });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(spec)'}: ${i.message}`);
    throw new UsageError(`${file ?? 'the surge policy'} is not a valid surge policy for ${spec.name}: ${problems.join('; ')}`);
  }
  return parsed.data;
}

function demoSetup(sigma: number, handleSeconds: number | undefined): Setup {
  process.stderr.write('measuring the built-in model on the demo data (4,000 Banking77 messages to train, 1,000 to score)…\n');
  const c = demoCalibration();
  const mean = handleSeconds ?? 60;
  return {
    spec: demoWorkflowSpec(),
    items: c.items,
    evidence: c.evidence,
    modelNote: `built-in, trained on the demo's ${c.trainingSize} messages, scored on ${c.items.length} unseen ones (accuracy ${pct(c.accuracy, 1)})`,
    handle: { kind: 'lognormal', meanSeconds: mean, sigma },
    handleNote: `lognormal, mean ${mean} s, sigma ${sigma}`,
    arrivalsPerHour: 600,
    arrivalsNote: 'default',
  };
}

async function workflowSetup(name: string, withDb: <T>(fn: (db: Db) => Promise<T>) => Promise<T>, sigma: number, handleSeconds: number | undefined): Promise<Setup> {
  return withDb(async (db) => {
    const [missing] = await missingWorkflows(db, [name]);
    if (missing !== undefined) throw new UsageError(`no workflow named "${missing}"`);
    const wf = await createWorkflowCache().get(db, name);
    const [load, { evidence }] = await Promise.all([measureLoad(db, wf), gatherEvidence(db, wf)]);
    const items: ScoredItem[] = evidence.filter((e) => e.correct !== null).map((e) => ({ label: e.label, confidence: e.confidence, correct: e.correct! }));
    if (items.length === 0) {
      throw new UsageError(`workflow "${name}" has no scored items with known outcomes to draw the model from; run without --workflow to use the built-in model on the demo data`);
    }
    const accuracy = items.filter((i) => i.correct).length / items.length;
    // Measured times only once there are enough of them to stand for the distribution.
    const measured = handleSeconds === undefined && load.handleSamples.length >= 20;
    const mean = handleSeconds ?? load.handleSeconds ?? 60;
    return {
      spec: wf.spec,
      items,
      evidence,
      modelNote: `${wf.spec.model.type} model of ${name}: ${items.length} scored items with known outcomes (accuracy ${pct(accuracy, 1)}); rules on text or metadata do not fire on these`,
      handle: measured ? { kind: 'empirical', seconds: load.handleSamples } : { kind: 'lognormal', meanSeconds: mean, sigma },
      handleNote: measured ? `resampled from ${load.handleSamples.length} measured answers (mean ${Math.round(load.handleSeconds!)} s)` : `lognormal, mean ${Math.round(mean)} s, sigma ${sigma}`,
      arrivalsPerHour: load.arrivalsPerHour ?? 600,
      arrivalsNote: load.arrivalsPerHour === null ? 'default' : 'measured',
    };
  });
}

const pct = (x: number | null, digits = 1): string => (x === null ? '—' : `${(x * 100).toFixed(digits)} %`);
const count = (x: number): string => (Number.isInteger(x) ? x.toLocaleString('en-US') : x.toFixed(1));
const clock = (s: number): string => `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}`;
function wait(s: number | null): string {
  if (s === null) return '—';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

function hourTable(name: string, reviewers: number, r: SimulationResult, within: number, currency: string): string {
  const deferring = r.hours.some((h) => h.deferred > 0);
  const lines = [
    `${reviewers} reviewers, ${name}:`,
    ` hour  arrivals   auto  to people  wait p50  wait p95  in ${String(within).padStart(3)} s  accuracy  cost/h ${currency}${deferring ? '  deferred (p95 wait)' : ''}${r.hours.some((h) => h.surgeActive > 0) ? '  surge policy' : ''}`,
    ...r.hours.map((h) =>
      `${clock(h.hour * 3600)}  ${String(h.arrivals).padStart(8)}  ${pct(h.arrivals ? h.auto / h.arrivals : null, 0).padStart(5)}  ${String(h.toPeople).padStart(9)}  ${wait(h.waitP50).padStart(8)}  ${wait(h.waitP95).padStart(8)}  ${pct(h.serviceLevel).padStart(8)}  ${pct(h.accuracy).padStart(8)}  ${Math.round(h.cost).toLocaleString('en-US').padStart(10)}` +
      (deferring ? (h.deferred > 0 ? `  ${String(h.deferred).padStart(8)} (${wait(h.deferredWaitP95)})` : '').padEnd(20) : '') +
      (h.surgeActive > 0 ? `  on ${pct(h.surgeActive, 0)} of the hour` : ''),
    ),
  ];
  return lines.join('\n');
}

function summary(runs: Array<{ name: string; reviewers: number; result: SimulationResult }>, within: number, currency: string): string {
  const col = (s: string) => s.padStart(24);
  const row = (label: string, f: (t: Totals, hours: number) => string, which: 'peak' | 'totals') =>
    `${label.padEnd(28)}${runs.map((r) => {
      const t = r.result[which];
      const hours = which === 'peak' ? (r.result.peak.toSeconds - r.result.peak.fromSeconds) / 3600 : r.result.hours.length;
      return col(f(t, hours));
    }).join('')}`;
  const block = (which: 'peak' | 'totals') => [
    row(`  started within ${within} s`, (t) => pct(t.serviceLevel), which),
    row('  wait p50 / p95', (t) => `${wait(t.waitP50)} / ${wait(t.waitP95)}`, which),
    row('  deferred tasks (p95 wait)', (t) => (t.deferred > 0 ? `${t.deferred} (${wait(t.deferredWaitP95)})` : '0'), which),
    row('  automation', (t) => pct(t.arrivals ? t.auto / t.arrivals : null), which),
    row('  accuracy of decisions', (t) => `${pct(t.accuracy, 2)} (${t.errors} wrong)`, which),
    row('  cost per hour', (t, h) => `${Math.round(t.cost / h).toLocaleString('en-US')} ${currency}`, which),
  ];
  const p = runs[0]!.result.peak;
  return [
    `${''.padEnd(28)}${runs.map((r) => col(r.name)).join('')}`,
    `${'reviewers'.padEnd(28)}${runs.map((r) => col(String(r.reviewers))).join('')}`,
    `during the peak ${clock(p.fromSeconds)}–${clock(p.toSeconds)}`,
    ...block('peak'),
    'whole run',
    ...block('totals'),
    row('  tasks never started', (t) => String(t.unfinished), 'totals'),
  ].join('\n');
}

/** Queue depth and p95 wait over the run, each run a line, as one SVG with two charts. */
function charts(runs: Array<{ name: string; reviewers: number; result: SimulationResult }>, within: number): string {
  const colours = ['#b3261e', '#0b57d0'];
  const series = (f: (p: SimulationResult['timeline'][number]) => number | null) =>
    runs.map((r, i) => ({
      name: `${r.name} (${r.reviewers})`,
      color: colours[i % colours.length]!,
      points: r.result.timeline.flatMap((p) => {
        const v = f(p);
        return v === null ? [] : [[p.atSeconds / 3600, v] as const];
      }),
    }));
  const depth = series((p) => p.queueDepth);
  const waits = series((p) => (p.waitP95 === null ? null : p.waitP95 / 60));
  const top = (s: typeof depth, floor: number) => Math.max(floor, ...s.flatMap((x) => x.points.map((p) => p[1]))) * 1.05;
  const a = renderLineChart({ title: 'Tasks waiting for a reviewer', xLabel: 'hour of the day', yLabel: 'tasks waiting', series: depth, yMax: top(depth, 1) });
  const b = renderLineChart({
    title: 'Wait before a reviewer starts (p95 per 5 minutes)', xLabel: 'hour of the day', yLabel: 'minutes', series: waits, yMax: top(waits, (within / 60) * 2),
    references: [{ y: within / 60, label: `target ${within} s`, color: '#146c2e' }],
  });
  const inner = (svg: string, y: number) => svg.replace('<svg xmlns="http://www.w3.org/2000/svg" ', `<svg y="${y}" `);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="760" height="840" viewBox="0 0 760 840">\n${inner(a, 0)}${inner(b, 420)}</svg>\n`;
}
