// `tandem plan`: how many reviewers a load needs, from figures given on the command line or
// measured on a workflow's own data. Erlang C, or Erlang A with --patience-seconds.
import { CapacityInputError, planCapacity, type CapacityPlan, type QueuePerformance, type WhatIfRow } from '../core/capacity.ts';
import { workflowCapacity, type WorkflowCapacity } from '../engine/capacity.ts';
import { createWorkflowCache } from '../engine/workflows.ts';
import type { Db } from '../store/db.ts';
import { missingWorkflows } from '../store/workflows.ts';
import { numberFlag, parseFlags, UsageError } from './flags.ts';

export const planUsage = `usage: tandem plan --arrivals-per-hour N --handle-seconds S [options]
       tandem plan --workflow NAME [options]

How many reviewers are needed so that a share of the items reaching people is started within a
target wait (Erlang C; Erlang A when items are withdrawn after --patience-seconds on average).
With --workflow, arrivals per hour, handle time and automation rate are measured on the
workflow's last 7 days (any flag overrides its measurement), with a what-if over thresholds.

options:
  --arrivals-per-hour N   items arriving per hour, before automation
  --handle-seconds S      mean seconds a person spends per item
  --service-level P       target share started within the wait, 0 to 1 exclusive (default 0.8)
  --within-seconds T      the target wait in seconds (default 60)
  --automation-rate R     share the machine decides, 0 to 1 (default 0, or measured)
  --shrinkage X           share of paid time not on the queue, 0 to below 1 (default 0)
  --patience-seconds P    mean wait before an item is withdrawn: Erlang A
  --workflow NAME         measure the inputs on this workflow
  --json                  one JSON object (field "reviewers": the headcount to schedule)
`;

export async function planCommand(args: string[], withDb: <T>(fn: (db: Db) => Promise<T>) => Promise<T>): Promise<number> {
  const values = parseFlags(args, {
    'arrivals-per-hour': { type: 'string' },
    'handle-seconds': { type: 'string' },
    'service-level': { type: 'string' },
    'within-seconds': { type: 'string' },
    'automation-rate': { type: 'string' },
    shrinkage: { type: 'string' },
    'patience-seconds': { type: 'string' },
    workflow: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, planUsage);
  if (values.help) {
    process.stdout.write(planUsage);
    return 0;
  }
  const q = {
    arrivalsPerHour: numberFlag('arrivals-per-hour', values['arrivals-per-hour'], (n) => n >= 0 && n <= 10_000_000, 'a number of items per hour from 0 to 10000000'),
    handleSeconds: numberFlag('handle-seconds', values['handle-seconds'], (n) => n > 0 && n <= 86_400, 'a number of seconds above 0, at most 86400'),
    serviceLevel: numberFlag('service-level', values['service-level'], (n) => n > 0 && n < 1, 'a share between 0 and 1 (exclusive), e.g. 0.8'),
    withinSeconds: numberFlag('within-seconds', values['within-seconds'], (n) => n >= 0 && n <= 30 * 86_400, 'a number of seconds ≥ 0'),
    automationRate: numberFlag('automation-rate', values['automation-rate'], (n) => n >= 0 && n <= 1, 'a share from 0 to 1'),
    shrinkage: numberFlag('shrinkage', values.shrinkage, (n) => n >= 0 && n < 1, 'a share from 0 to below 1, e.g. 0.3'),
    patienceSeconds: numberFlag('patience-seconds', values['patience-seconds'], (n) => n > 0 && n <= 30 * 86_400, 'a number of seconds above 0'),
  };
  try {
    if (values.workflow) {
      const name = values.workflow;
      const capacity = await withDb(async (db) => {
        const [missing] = await missingWorkflows(db, [name]);
        if (missing !== undefined) throw new UsageError(`no workflow named "${missing}"`);
        const wf = await createWorkflowCache().get(db, name);
        return workflowCapacity(db, wf, q);
      });
      process.stdout.write(values.json ? `${JSON.stringify(planJson(capacity.plan, capacity))}\n` : describeWorkflowPlan(capacity));
      return 0;
    }
    if (q.arrivalsPerHour === undefined || q.handleSeconds === undefined) {
      throw new UsageError(`give --arrivals-per-hour and --handle-seconds, or --workflow NAME to measure them\n${planUsage}`);
    }
    const plan = planCapacity({
      arrivalsPerHour: q.arrivalsPerHour,
      handleSeconds: q.handleSeconds,
      serviceLevel: q.serviceLevel ?? 0.8,
      withinSeconds: q.withinSeconds ?? 60,
      automationRate: q.automationRate ?? 0,
      shrinkage: q.shrinkage ?? 0,
      patienceSeconds: q.patienceSeconds ?? null,
    });
    process.stdout.write(values.json ? `${JSON.stringify(planJson(plan, null))}\n` : describePlan(plan));
    return 0;
  } catch (err) {
    if (err instanceof CapacityInputError) throw new UsageError(err.message);
    throw err;
  }
}

/** Infinite waits (an overloaded queue) become null in JSON. */
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

function performanceJson(p: QueuePerformance) {
  return {
    agents: p.agents, serviceLevel: p.serviceLevel, probabilityOfWaiting: p.probabilityOfWaiting, expectedWaitSeconds: finite(p.expectedWaitSeconds), occupancy: p.occupancy, abandonment: p.abandonment,
  };
}

function planJson(plan: CapacityPlan, capacity: WorkflowCapacity | null) {
  const a = plan.achieved;
  return {
    reviewers: plan.reviewers,
    needed: plan.needed,
    model: plan.model,
    arrivalsPerHour: plan.input.arrivalsPerHour,
    automationRate: plan.input.automationRate,
    humanArrivalsPerHour: plan.humanArrivalsPerHour,
    handleSeconds: plan.input.handleSeconds,
    traffic: plan.traffic,
    targetServiceLevel: plan.input.serviceLevel,
    withinSeconds: plan.input.withinSeconds,
    shrinkage: plan.input.shrinkage,
    patienceSeconds: plan.input.patienceSeconds,
    serviceLevel: a.serviceLevel,
    probabilityOfWaiting: a.probabilityOfWaiting,
    expectedWaitSeconds: finite(a.expectedWaitSeconds),
    occupancy: a.occupancy,
    abandonment: a.abandonment,
    table: plan.table.map(performanceJson),
    ...(capacity
      ? {
        workflow: capacity.workflow,
        threshold: capacity.threshold,
        measured: capacity.measured,
        sources: capacity.sources,
        whatIf: capacity.whatIf.map((w) => ({ ...w, expectedWaitSeconds: finite(w.expectedWaitSeconds) })),
      }
      : {}),
  };
}

const pct = (x: number | null, digits = 1): string => (x === null ? '—' : `${(x * 100).toFixed(digits)} %`);
const secs = (x: number): string => (!Number.isFinite(x) ? 'unbounded' : x < 10 ? `${x.toFixed(1)} s` : x < 5400 ? `${Math.round(x)} s` : `${(x / 3600).toFixed(1)} h`);
// Rounded first: 1000 × (1 − 0.8) is 200.00000000000003.
const count = (x: number): string => String(Number(x.toFixed(1)));

function describePlan(plan: CapacityPlan): string {
  const i = plan.input;
  const a = plan.achieved;
  const lines = [
    `Capacity plan (${plan.model === 'erlang-a' ? `Erlang A, patience ${secs(i.patienceSeconds!)}` : 'Erlang C'})`,
    `  arrivals         ${count(i.arrivalsPerHour)} items/h${i.automationRate > 0 ? `, ${pct(i.automationRate)} decided by the machine: ${count(plan.humanArrivalsPerHour)}/h reach people` : ', all to people'}`,
    `  work             ${secs(i.handleSeconds)} per item: ${plan.traffic.toFixed(2)} reviewers' worth of work (erlangs)`,
    `  target           ${pct(i.serviceLevel, 0)} started within ${secs(i.withinSeconds)}`,
    `  reviewers        ${plan.needed} at work at once; schedule ${plan.reviewers}${i.shrinkage > 0 ? ` (shrinkage ${pct(i.shrinkage, 0)})` : ''}`,
    `  service level    ${pct(a.serviceLevel)} started within ${secs(i.withinSeconds)}`,
    `  expected wait    ${secs(a.expectedWaitSeconds)} (probability of waiting ${pct(a.probabilityOfWaiting)})`,
    `  occupancy        ${pct(a.occupancy)}`,
    ...(a.abandonment !== null ? [`  withdrawn        ${pct(a.abandonment, 2)} of items before a reviewer started`] : []),
    '',
    `  at work  schedule  service level  P(wait)   expected wait  occupancy${plan.model === 'erlang-a' ? '  withdrawn' : ''}`,
    ...plan.table.map((r) => {
      const mark = r.agents === plan.needed ? '>' : ' ';
      const schedule = Math.ceil(Number((r.agents / (1 - i.shrinkage)).toFixed(9)));
      return `${mark} ${String(r.agents).padStart(7)}  ${String(schedule).padStart(8)}  ${pct(r.serviceLevel).padStart(13)}  ${pct(r.probabilityOfWaiting).padStart(7)}  ${secs(r.expectedWaitSeconds).padStart(13)}  ${pct(r.occupancy).padStart(9)}${r.abandonment !== null ? pct(r.abandonment, 2).padStart(11) : ''}`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}

function describeWorkflowPlan(c: WorkflowCapacity): string {
  const m = c.measured;
  const from = (s: string) => (s === 'measured' ? 'measured' : s === 'given' ? 'given' : 'default');
  const head = [
    `Workflow ${c.workflow}, last ${m.windowHours / 24} days: ${m.items} items (busiest hour ${m.busiestHour}), ${m.answers} answers` +
      (m.handleP50 !== null ? ` (handle time median ${secs(m.handleP50)}, p90 ${secs(m.handleP90!)})` : ''),
    `  inputs: arrivals ${from(c.sources.arrivalsPerHour)}, handle time ${from(c.sources.handleSeconds)}, automation rate ${from(c.sources.automationRate)}`,
    '',
  ];
  return `${head.join('\n')}${describePlan(c.plan)}\n${describeWhatIf(c.whatIf, c.threshold)}`;
}

function describeWhatIf(rows: WhatIfRow[], current: number): string {
  const lines = [
    'What if the confidence threshold moved (automation from the threshold preview; rules and audits not counted):',
    '  threshold  automation  est. accuracy  at work  schedule  expected wait',
    ...rows.map((w) => `${w.threshold === current ? '>' : ' '} ${w.threshold.toFixed(2).padStart(9)}  ${pct(w.automationRate).padStart(10)}  ${pct(w.estimatedAccuracy).padStart(13)}  ${String(w.needed).padStart(7)}  ${String(w.reviewers).padStart(8)}  ${secs(w.expectedWaitSeconds).padStart(13)}`),
  ];
  return `${lines.join('\n')}\n`;
}
