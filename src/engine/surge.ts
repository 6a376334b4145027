// The surge policy in the shell. A controller measures each workflow's load, asks the core
// (core/surge.ts) for the next state, and writes the state, a `surge.changed` event per change
// and what the change does to the waiting tasks in one transaction. Routing reads the state
// through a short cache; claims need no state at all, because a deferred task carries its own
// flag until the controller releases it.
//
// Many processes, one database: any number run a controller, and a job lease makes one of them
// the one that acts (the holder renews it every pass; if it dies the lease runs out and another
// takes over). A state row's version is checked under a row lock before writing, so even a
// controller whose lease ran out while it measured writes nothing over a newer state.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import {
  baseSurgeState, floorThresholds, isBase, isDeferred, nextSurgeState, surgePolicy, surgePriorityBoost, targetWaitSeconds,
  type CompiledSurge, type Forecast, type LoadSnapshot, type SurgeAction, type SurgeChange, type SurgeItem, type SurgeState,
} from '../core/surge.ts';
import { surgeActions, type PolicySpec } from '../core/workflow.ts';
import { thresholdFor } from '../core/policy.ts';
import type { Reason, Route } from '../core/types.ts';
import type { RuleContext } from '../core/rules.ts';
import type { Queryable } from '../store/db.ts';
import { insertEvents } from '../store/events.ts';
import { releaseJobLease, tryTakeJobLease } from '../store/jobLeases.ts';
import {
  boostTasks, deferTasks, getSurgeState, lockSurgeState, measureLoad, openTasksWithItems, releaseDeferred, surgeHistory, unboostTasks,
  writeSurgeMeasure, writeSurgeState, type SurgeRow, type WaitingTask,
} from '../store/surge.ts';
import { listWorkflows } from '../store/workflows.ts';
import type { Engine } from './engine.ts';
import { startPeriodic, type Periodic } from './periodic.ts';
import type { Principal } from './principals.ts';
import { gatherEvidence, targetRouting } from './tuning.ts';
import { visibleWorkflow, type CompiledWorkflow } from './workflows.ts';

/** Handle time assumed until anyone has answered a task of the workflow. */
export const defaultHandleSeconds = 60;
/** Waiting tasks a step judges one by one when it is taken (the rest only get it when new). */
const backlogLimit = 20_000;

export function stateOf(row: SurgeRow | null): SurgeState {
  if (!row) return baseSurgeState;
  const active = row.active.filter((a): a is SurgeAction => (surgeActions as readonly string[]).includes(a));
  return { active, changedAt: row.changed_at?.getTime() ?? null, floors: row.floors };
}

// ---------------------------------------------------------------------------------------------
// Routing

export interface SurgeCache {
  current(db: Queryable, workflow: string): Promise<SurgeState>;
  invalidate(workflow: string): void;
}

export function createSurgeCache(refreshMs = 1000): SurgeCache {
  const cache = new Map<string, { at: number; state: SurgeState }>();
  return {
    async current(db, workflow) {
      const hit = cache.get(workflow);
      if (hit && Date.now() - hit.at < refreshMs) return hit.state;
      const state = stateOf(await getSurgeState(db, workflow));
      cache.set(workflow, { at: Date.now(), state });
      return state;
    },
    invalidate(workflow) {
      cache.delete(workflow);
    },
  };
}

/** What the surge does to one item's routing: the thresholds, and then its tasks. */
export interface SurgeRouting {
  state: SurgeState;
  /** The policy to route by (thresholds of low-risk labels lowered while that step lasts). */
  policy: PolicySpec;
}

export async function surgeRouting(engine: Engine, wf: CompiledWorkflow, usual: PolicySpec, db: Queryable): Promise<SurgeRouting> {
  if (!wf.surge) return { state: baseSurgeState, policy: usual };
  const state = await engine.surges.current(db, wf.spec.name);
  return { state, policy: surgePolicy(usual, wf.surge, state) };
}

function matchedRules(route: unknown): string[] {
  const reasons = (route as { reasons?: unknown } | null)?.reasons;
  if (!Array.isArray(reasons)) return [];
  return reasons.flatMap((r: { code?: unknown; name?: unknown }) => (r?.code === 'rule' && typeof r.name === 'string' ? [r.name] : []));
}

/**
 * The route as the surge leaves it: priority raised by the boost, the reasons saying why (and
 * which threshold was lowered), and whether its tasks are deferred.
 */
export function applySurge(wf: CompiledWorkflow, s: SurgeRouting, usual: PolicySpec, route: Route, ctx: RuleContext): { route: Route; boost: number; deferred: boolean } {
  const surge = wf.surge;
  if (!surge || s.state.active.length === 0) return { route, boost: 0, deferred: false };
  const item: SurgeItem = { ...ctx, matchedRules: route.reasons.flatMap((r) => (r.code === 'rule' ? [r.name] : [])) };
  const boost = surgePriorityBoost(surge, s.state, item);
  const deferred = route.route !== 'escalate' && isDeferred(surge, s.state, item);
  const notes: Reason[] = [];
  if (route.label !== null && s.policy !== usual) {
    const usualT = thresholdFor(usual, route.label);
    const nowT = thresholdFor(s.policy, route.label);
    if (nowT < usualT) {
      const floor = surge.spec.lowerThresholds?.accuracyFloor ?? 0;
      notes.push({ code: 'surge', action: 'lowerThresholds', note: `during a surge the threshold of "${route.label}" is ${nowT.toFixed(3)} instead of ${usualT.toFixed(3)}, no lower than its ${(floor * 100).toFixed(1)}% accuracy floor allows` });
    }
  }
  if (boost > 0) notes.push({ code: 'surge', action: 'prioritize', note: `priority raised by ${boost} during a surge` });
  if (deferred) notes.push({ code: 'surge', action: 'defer', note: 'deferred: not claimed until the surge eases' });
  if (notes.length === 0) return { route, boost, deferred };
  return { route: { ...route, priority: route.priority + boost, reasons: [...route.reasons, ...notes] }, boost, deferred };
}

// ---------------------------------------------------------------------------------------------
// The controller

export interface SurgeControllerOptions {
  /** How often to measure and decide (default 10 s). */
  intervalMs?: number;
  /** Arrivals and the human share are measured over this many seconds (default 900). */
  windowSeconds?: number;
  /** A reviewer counts as at work this long after their last answer, or while holding a lease (default 600). */
  activeSeconds?: number;
  /** The clock the hold time is judged by (tests pin it). */
  now?: () => number;
}

export interface SurgePass {
  workflow: string;
  snapshot: LoadSnapshot;
  forecast: Forecast;
  changes: SurgeChange[];
  /** False when another controller changed the state while this one measured. */
  written: boolean;
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

function measuredJson(snapshot: LoadSnapshot, forecast: Forecast, target: number, deferred: number): Record<string, unknown> {
  const { floors: _floors, ...load } = snapshot;
  return {
    ...load,
    at: new Date(snapshot.at).toISOString(),
    deferred,
    forecast: { waitSeconds: finite(forecast.waitSeconds), backlogSeconds: finite(forecast.backlogSeconds), arrivalSeconds: finite(forecast.arrivalSeconds), utilisation: finite(forecast.utilisation) },
    targetWaitSeconds: target,
  };
}

export async function measureSnapshot(engine: Engine, workflow: string, o: Required<Omit<SurgeControllerOptions, 'intervalMs'>>): Promise<{ snapshot: LoadSnapshot; deferred: number }> {
  const load = await measureLoad(engine.db, workflow, o.windowSeconds, o.activeSeconds);
  return {
    snapshot: {
      at: o.now(),
      queueDepth: load.queue_depth,
      arrivalsPerHour: (load.arrivals * 3600) / o.windowSeconds,
      humanShare: load.arrivals > 0 ? load.tasks_made / load.arrivals : 1,
      reviewersActive: load.reviewers,
      meanHandleSeconds: load.handle_seconds ?? defaultHandleSeconds,
      deferredDepth: load.deferred,
    },
    deferred: load.deferred,
  };
}

/** The usual policy of the workflow: the spec's, or the target-accuracy plan's. */
async function usualPolicy(engine: Engine, wf: CompiledWorkflow): Promise<PolicySpec> {
  if (wf.spec.targetAccuracy === undefined) return wf.spec.policy;
  return targetRouting(wf, await engine.tunings.current(engine.db, wf.spec.name))?.policy ?? wf.spec.policy;
}

/** One measure-decide-write for one workflow. */
export async function controlWorkflow(engine: Engine, wf: CompiledWorkflow, o: Required<Omit<SurgeControllerOptions, 'intervalMs'>>): Promise<SurgePass> {
  const name = wf.spec.name;
  const row = await getSurgeState(engine.db, name);
  const current = stateOf(row);
  const { snapshot, deferred } = await measureSnapshot(engine, name, o);
  let step = nextSurgeState(wf.spec, snapshot, current);
  const change = step.changes[0];
  if (change?.direction === 'on' && change.action === 'lowerThresholds' && wf.spec.surge?.lowerThresholds) {
    // The floors are only worth their query when the step is about to be taken.
    const lt = wf.spec.surge.lowerThresholds;
    const { evidence } = await gatherEvidence(engine.db, wf);
    snapshot.floors = floorThresholds(evidence, lt.labels, { floor: lt.accuracyFloor, minKnown: lt.minKnown });
    step = nextSurgeState(wf.spec, snapshot, current);
  }
  const target = targetWaitSeconds(wf.spec);
  const measured = measuredJson(snapshot, step.forecast, target, deferred);
  const result: SurgePass = { workflow: name, snapshot, forecast: step.forecast, changes: step.changes, written: true };

  const usual = step.changes.some((c) => c.action === 'lowerThresholds') ? await usualPolicy(engine, wf) : wf.spec.policy;
  result.written = await engine.db.transaction(async (tx) => {
    const locked = await lockSurgeState(tx, name);
    if (locked.version !== (row?.version ?? 0)) return false;
    const state = step.state;
    const events = [];
    for (const c of step.changes) {
      const effect = await applyChange(tx, name, wf.surge, state, c);
      const thresholds = c.action === 'lowerThresholds' && c.direction === 'on' ? loweredThresholds(usual, wf.surge, state) : undefined;
      events.push({
        type: 'surge.changed',
        workflow: name,
        payload: {
          ...c,
          forecastWaitSeconds: finite(c.forecastWaitSeconds),
          ...(thresholds ? { thresholds } : {}),
          ...effect,
          load: measured,
          // Notified while notify is in effect, and when it is switched off (the all-clear).
          notify: c.action === 'notify' || state.active.includes('notify'),
        },
      });
    }
    // Every pass: a task routed on a cached state just before a revert is put right here.
    if (!state.active.includes('defer')) await releaseDeferred(tx, name);
    if (!state.active.includes('prioritize')) await unboostTasks(tx, name);
    if (events.length === 0) {
      await writeSurgeMeasure(tx, name, measured);
      return true;
    }
    await writeSurgeState(tx, name, { active: state.active, floors: state.floors, changedAt: state.changedAt === null ? null : new Date(state.changedAt), measured });
    await insertEvents(tx, events);
    return true;
  });
  if (result.written) engine.surges.invalidate(name);
  return result;
}

function loweredThresholds(usual: PolicySpec, surge: CompiledSurge | null, state: SurgeState): Record<string, { from: number; to: number; floorThreshold: number }> {
  const lowered = surgePolicy(usual, surge, state);
  const out: Record<string, { from: number; to: number; floorThreshold: number }> = {};
  for (const [label, floor] of Object.entries(state.floors)) out[label] = { from: thresholdFor(usual, label), to: thresholdFor(lowered, label), floorThreshold: floor };
  return out;
}

function waitingItem(t: WaitingTask): SurgeItem {
  const route = (t.route ?? {}) as { label?: unknown; confidence?: unknown };
  return {
    fields: t.text === null ? t.fields : { text: t.text, ...t.fields },
    metadata: t.metadata,
    label: typeof route.label === 'string' ? route.label : null,
    confidence: typeof route.confidence === 'number' ? route.confidence : null,
    matchedRules: matchedRules(t.route),
  };
}

/** What a step does to the tasks already waiting: boost or defer them, or undo that. */
async function applyChange(tx: Queryable, workflow: string, surge: CompiledSurge | null, state: SurgeState, c: SurgeChange): Promise<Record<string, number>> {
  if (c.action === 'prioritize' && c.direction === 'off') return { tasksUnboosted: await unboostTasks(tx, workflow) };
  if (c.action === 'defer' && c.direction === 'off') return { tasksReleased: await releaseDeferred(tx, workflow) };
  if (!surge || c.direction !== 'on' || (c.action !== 'prioritize' && c.action !== 'defer')) return {};
  const waiting = await openTasksWithItems(tx, workflow, backlogLimit);
  if (c.action === 'prioritize') {
    const boost = surge.spec.prioritize?.boost ?? 0;
    const ids = waiting.filter((t) => surgePriorityBoost(surge, state, waitingItem(t)) > 0).map((t) => t.task_id);
    return { tasksBoosted: await boostTasks(tx, ids, boost) };
  }
  const ids = waiting.filter((t) => t.kind !== 'escalation' && isDeferred(surge, state, waitingItem(t))).map((t) => t.task_id);
  return { tasksDeferred: await deferTasks(tx, ids) };
}

export interface SurgePassOptions extends SurgeControllerOptions {
  /** Who holds the controller's lease. */
  owner?: string;
}

const controllerJob = 'surge-controller';

/** One pass over every workflow with a surge policy (or a state left over); [] if another process is the controller. */
export async function runSurgePass(engine: Engine, options: SurgePassOptions = {}): Promise<SurgePass[] | null> {
  const o = {
    windowSeconds: options.windowSeconds ?? 900,
    activeSeconds: options.activeSeconds ?? 600,
    now: options.now ?? Date.now,
  };
  const owner = options.owner ?? defaultOwner;
  const leaseSeconds = Math.max(30, Math.ceil((3 * (options.intervalMs ?? 10_000)) / 1000));
  if (!(await tryTakeJobLease(engine.db, controllerJob, owner, leaseSeconds))) return null;
  const out: SurgePass[] = [];
  for (const row of await listWorkflows(engine.db)) {
    const wf = await engine.workflows.get(engine.db, row.name);
    if (!wf.surge && isBase(stateOf(await getSurgeState(engine.db, row.name)))) continue;
    out.push(await controlWorkflow(engine, wf, o));
  }
  return out;
}

const defaultOwner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

export type SurgeController = Periodic;

export function startSurgeController(engine: Engine, options: SurgeControllerOptions, log: (line: string) => void): SurgeController {
  const owner = `${defaultOwner}:${randomUUID().slice(0, 8)}`;
  const periodic = startPeriodic(
    async () => {
      for (const p of (await runSurgePass(engine, { ...options, owner })) ?? []) {
        for (const c of p.changes) log(`surge ${p.workflow}: ${c.direction} ${c.action}: ${c.reason}`);
      }
    },
    options.intervalMs ?? 10_000,
    (err) => log(`surge controller failed: ${String(err)}`),
  );
  return {
    async stop() {
      await periodic.stop();
      await releaseJobLease(engine.db, controllerJob, owner).catch(() => {});
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The view

export interface SurgeView {
  workflow: string;
  configured: boolean;
  order: SurgeAction[];
  active: SurgeAction[];
  changedAt: string | null;
  targetWaitSeconds: number;
  enterAt: number | null;
  exitAt: number | null;
  floors: Record<string, number>;
  measured: Record<string, unknown> | null;
  measuredAt: string | null;
  history: Array<{ id: string; at: string } & Record<string, unknown>>;
}

export async function surgeView(engine: Engine, principal: Principal, workflow: string, limit = 50): Promise<SurgeView> {
  const wf = await visibleWorkflow(engine.db, engine.workflows, principal, workflow);
  const row = await getSurgeState(engine.db, wf.spec.name);
  const state = stateOf(row);
  const history = await surgeHistory(engine.db, wf.spec.name, limit);
  return {
    workflow: wf.spec.name,
    configured: wf.surge !== null,
    order: wf.spec.surge?.order ?? [],
    active: state.active,
    changedAt: row?.changed_at?.toISOString() ?? null,
    targetWaitSeconds: targetWaitSeconds(wf.spec),
    enterAt: wf.spec.surge?.enterAt ?? null,
    exitAt: wf.spec.surge?.exitAt ?? null,
    floors: state.floors,
    measured: row?.measured ?? null,
    measuredAt: row?.measured_at?.toISOString() ?? null,
    history: history.map((h) => ({ ...h.payload, id: h.id, at: h.created_at.toISOString() })),
  };
}
