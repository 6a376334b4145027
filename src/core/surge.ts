// The surge policy: what a workflow does when the work outgrows the people. Pure: the engine's
// controller, the API and the simulator all run these functions over plain data.
//
// The model. A load snapshot (queue depth, arrivals, the share that goes to people, reviewers
// at work, mean handle time) gives a forecast of how long a task made now waits before someone
// claims it. When that forecast reaches `enterAt` × the target wait, the next action of the
// workflow's declared order is taken; when it falls to `exitAt` × the target, the last action
// taken is reverted. One step per change and at least `holdSeconds` between two changes: the
// actions take a while to show in the forecast, and the gap between the two levels keeps the
// state from flapping around one value.
//
// The state is a prefix of the declared order (the actions in effect), so the order of the
// actions always follows the declaration and the way back is the way in, reversed.
import { erlangC } from './capacity.ts';
import { wilsonInterval, zOneSided, type Interval } from './estimate.ts';
import type { EvidenceItem } from './thresholds.ts';
import { thresholdFor } from './policy.ts';
import { evaluateRule, parseRule, type Rule, type RuleContext } from './rules.ts';
import type { PolicySpec, SurgeAction, SurgeSpec, WorkflowSpec } from './workflow.ts';

export type { SurgeAction, SurgeSpec } from './workflow.ts';

// ---------------------------------------------------------------------------------------------
// Load and forecast

/** The load on one workflow's human queue, measured now. */
export interface LoadSnapshot {
  /** When it was measured, ms since the epoch. */
  at: number;
  /** Open human tasks waiting to be claimed (deferred ones apart). */
  queueDepth: number;
  /**
   * Tasks held back by the `defer` step. They count only when that step is about to be
   * reverted: it is reverted only if the wait stays low with them back in the queue, or the
   * release itself would take the state straight back into the surge.
   */
  deferredDepth?: number;
  /** Items submitted per hour, recently. */
  arrivalsPerHour: number;
  /** Human tasks made per item submitted (the share sent to people; above 1 with consensus votes). */
  humanShare: number;
  /** People who claimed or answered a task recently. */
  reviewersActive: number;
  /** Mean seconds from claim to answer, recently. */
  meanHandleSeconds: number;
  /**
   * Per low-risk label, the lowest threshold that keeps its estimated accuracy at the floor
   * (floorThresholds). Read only when `lowerThresholds` is taken; absent: no estimate.
   */
  floors?: Record<string, LabelFloor>;
}

/** An overloaded queue is forecast this far ahead: the wait of a task made then. */
export const overloadHorizonSeconds = 900;

export interface Forecast {
  /** Forecast wait of a task made now, in seconds; Infinity when work waits and nobody works. */
  waitSeconds: number;
  /** The part from the queue already waiting: depth × handle time / reviewers. */
  backlogSeconds: number;
  /** The part from new arrivals: Erlang C's mean wait, or the growth over the horizon when overloaded. */
  arrivalSeconds: number;
  /** Offered load per reviewer (λ / cμ); 1 or more means the queue grows without end. */
  utilisation: number;
}

/**
 * How long a task made now waits before it is claimed. Two parts, added:
 * - the backlog: the tasks already waiting are cleared at c/handle per second before it;
 * - the arrivals: with λ < cμ the steady-state M/M/c mean wait C(c, a)/(cμ − λ) (Erlang C);
 *   with λ ≥ cμ there is no steady state, and the queue grows by λ − cμ a second, so the
 *   forecast is the wait of a task made `overloadHorizonSeconds` from now.
 * The horizon also bounds the two sides where they meet: Erlang C's wait grows without end as
 * λ nears cμ while the growth starts from 0 at λ = cμ, so the steady-state wait is capped at the
 * horizon and the overloaded one is at least the horizon. Without that, one more arrival per
 * hour could make the forecast fall from hours to nothing, and the surge policy revert.
 * A rough figure on purpose: it only has to say when the queue outgrows the people.
 */
export function forecastWait(s: LoadSnapshot): Forecast {
  const handle = Math.max(0, s.meanHandleSeconds);
  const lambda = (Math.max(0, s.arrivalsPerHour) * Math.max(0, s.humanShare)) / 3600;
  const c = Math.floor(Math.max(0, s.reviewersActive));
  const depth = Math.max(0, s.queueDepth);
  if (handle === 0) return { waitSeconds: 0, backlogSeconds: 0, arrivalSeconds: 0, utilisation: 0 };
  if (c === 0) {
    const idle = depth === 0 && lambda === 0;
    return { waitSeconds: idle ? 0 : Infinity, backlogSeconds: depth === 0 ? 0 : Infinity, arrivalSeconds: lambda === 0 ? 0 : Infinity, utilisation: idle ? 0 : Infinity };
  }
  const capacity = c / handle;
  const utilisation = lambda / capacity;
  const backlogSeconds = depth / capacity;
  const arrivalSeconds = utilisation < 1
    ? Math.min(erlangC(c, lambda * handle) / (capacity - lambda), overloadHorizonSeconds)
    : Math.max(overloadHorizonSeconds, ((lambda - capacity) * overloadHorizonSeconds) / capacity);
  return { waitSeconds: backlogSeconds + arrivalSeconds, backlogSeconds, arrivalSeconds, utilisation };
}

export function forecastWaitSeconds(s: LoadSnapshot): number {
  return forecastWait(s).waitSeconds;
}

// ---------------------------------------------------------------------------------------------
// Accuracy floors

export interface LabelFloor {
  /** The lowest threshold at which the label's accuracy bound is at the floor; null: none is. */
  threshold: number | null;
  /** Estimated accuracy of the label's automatic decisions at that threshold (one-sided bounds). */
  accuracy: Interval | null;
  /** Known outcomes of the label at or above the threshold (all of them when threshold is null). */
  known: number;
  /** Why the label may not be lowered, when threshold is null. */
  reason: string | null;
}

export interface FloorOptions {
  /** The accuracy the automatic decisions of a label must keep, e.g. 0.95. */
  floor: number;
  /** Known outcomes at or above a threshold needed to judge it. */
  minKnown: number;
  /** Level of the one-sided lower bound. */
  confidence?: number;
  /** Weight of the calibrated confidences in pseudo-items, as in thresholds.ts. */
  priorStrength?: number;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/**
 * Per label, the lowest threshold t such that the label's items with confidence ≥ t are right
 * at least `floor` of the time by a one-sided lower bound: the same estimate the target-accuracy
 * tuner uses (thresholds.ts), Wilson on the known outcomes plus the calibrated confidences as a
 * few pseudo-observations, and only where at least `minKnown` outcomes are known above t.
 */
export function floorThresholds(evidence: readonly EvidenceItem[], labels: readonly string[], o: FloorOptions): Record<string, LabelFloor> {
  const z = zOneSided(o.confidence ?? 0.95);
  const prior = o.priorStrength ?? 20;
  const out: Record<string, LabelFloor> = {};
  for (const label of labels) {
    const mine = evidence.filter((e) => e.label === label).sort((a, b) => b.confidence - a.confidence);
    const knownAll = mine.reduce((n, e) => n + (e.correct === null ? 0 : 1), 0);
    if (knownAll < o.minKnown) {
      out[label] = {
        threshold: null, accuracy: null, known: knownAll,
        reason: `no accuracy estimate for "${label}": ${knownAll} known outcome${knownAll === 1 ? '' : 's'} of the ${o.minKnown} needed`,
      };
      continue;
    }
    let best: LabelFloor | null = null;
    let bestLower = 0;
    let n = 0, known = 0, correct = 0, confSum = 0;
    for (let i = 0; i < mine.length; ) {
      const t = mine[i]!.confidence;
      for (; i < mine.length && mine[i]!.confidence === t; i++) {
        const e = mine[i]!;
        n++;
        confSum += e.confidence;
        if (e.correct !== null) {
          known++;
          if (e.correct) correct++;
        }
      }
      if (known < o.minKnown) continue;
      const acc = wilsonInterval(correct + prior * (confSum / n), known + prior, z);
      bestLower = Math.max(bestLower, acc.lower);
      if (acc.lower >= o.floor) best = { threshold: t, accuracy: acc, known, reason: null };
    }
    out[label] = best ?? {
      threshold: null, accuracy: null, known: knownAll,
      reason: `no threshold keeps "${label}" at the ${pct(o.floor)} accuracy floor (best lower bound ${pct(bestLower)} on ${knownAll} known outcomes)`,
    };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// State and its changes

export interface SurgeState {
  /** The actions in effect: always a prefix of the declared order. Empty: the base state. */
  active: SurgeAction[];
  /** When the last change happened, ms since the epoch; null before any. */
  changedAt: number | null;
  /** The floor thresholds of the labels lowered, fixed when `lowerThresholds` was taken. */
  floors: Record<string, number>;
}

export const baseSurgeState: SurgeState = { active: [], changedAt: null, floors: {} };

/** The state holds no action: routing is as if there were no surge policy. */
export function isBase(s: SurgeState): boolean {
  return s.active.length === 0 && Object.keys(s.floors).length === 0;
}

export interface SurgeChange {
  action: SurgeAction;
  direction: 'on' | 'off';
  /** Actions in effect after the change. */
  active: SurgeAction[];
  reason: string;
  forecastWaitSeconds: number;
  targetWaitSeconds: number;
  /** For lowerThresholds on: the floor threshold per label lowered, and why others were not. */
  lowered?: Record<string, { floorThreshold: number; accuracyLower: number; known: number }>;
  skipped?: Record<string, string>;
}

export interface SurgeStep {
  state: SurgeState;
  changes: SurgeChange[];
  forecast: Forecast;
  targetWaitSeconds: number;
}

export function targetWaitSeconds(spec: Pick<WorkflowSpec, 'surge' | 'slaSeconds'>): number {
  return spec.surge?.targetWaitSeconds ?? spec.slaSeconds;
}

const secs = (x: number): string => (Number.isFinite(x) ? `${Math.round(x)} s` : 'unbounded (nobody is working)');

function load(s: LoadSnapshot, f: Forecast): string {
  return `${s.queueDepth} waiting, ${Math.round(s.arrivalsPerHour * s.humanShare)} tasks/h, ${s.reviewersActive} reviewer${s.reviewersActive === 1 ? '' : 's'} at ${Math.round(s.meanHandleSeconds)} s each, utilisation ${Number.isFinite(f.utilisation) ? pct(f.utilisation) : '∞'}`;
}

/**
 * The next state for this load: at most one step from `current`. Escalates by the next action
 * of the declared order when the forecast reaches enterAt × target, reverts the last action when
 * it falls to exitAt × target, and holds in between or within `holdSeconds` of the last change.
 * An action no longer in the order (the workflow changed, or lost its surge policy) is reverted
 * at once, last first.
 */
export function nextSurgeState(spec: Pick<WorkflowSpec, 'surge' | 'slaSeconds'>, snapshot: LoadSnapshot, current: SurgeState): SurgeStep {
  const forecast = forecastWait(snapshot);
  const target = targetWaitSeconds(spec);
  const order = spec.surge?.order ?? [];
  const wait = forecast.waitSeconds;
  const step = (state: SurgeState, change: SurgeChange | null): SurgeStep => ({ state, changes: change ? [change] : [], forecast, targetWaitSeconds: target });
  const base = { forecastWaitSeconds: wait, targetWaitSeconds: target };

  const prefix = current.active.every((a, i) => order[i] === a);
  if (!prefix) {
    const last = current.active[current.active.length - 1]!;
    const active = current.active.slice(0, -1);
    const why = spec.surge ? 'the declared order changed' : 'the workflow no longer has a surge policy';
    return step(off(current, last, active, snapshot.at), { action: last, direction: 'off', active, reason: `${why}: "${last}" is reverted`, ...base });
  }
  if (!spec.surge || (current.changedAt !== null && snapshot.at - current.changedAt < spec.surge.holdSeconds * 1000)) return step(current, null);

  const { enterAt, exitAt } = spec.surge;
  if (wait >= enterAt * target && current.active.length < order.length) {
    const action = order[current.active.length]!;
    const active = [...current.active, action];
    const reason = `forecast wait ${secs(wait)} is at or above ${Math.round(enterAt * 100)}% of the ${target} s target (${load(snapshot, forecast)}): step ${active.length} of ${order.length}, "${action}"`;
    const change: SurgeChange = { action, direction: 'on', active, reason, ...base };
    let floors: Record<string, number> = current.floors;
    if (action === 'lowerThresholds') {
      const lowered: NonNullable<SurgeChange['lowered']> = {};
      const skipped: Record<string, string> = {};
      floors = {};
      for (const label of spec.surge.lowerThresholds?.labels ?? []) {
        const f = snapshot.floors?.[label];
        if (f && f.threshold !== null && f.accuracy) {
          floors[label] = f.threshold;
          lowered[label] = { floorThreshold: f.threshold, accuracyLower: f.accuracy.lower, known: f.known };
        } else {
          skipped[label] = f?.reason ?? `no accuracy estimate for "${label}": nothing is known of its outcomes`;
        }
      }
      change.lowered = lowered;
      change.skipped = skipped;
      if (Object.keys(skipped).length > 0) change.reason += `; not lowered: ${Object.values(skipped).join('; ')}`;
    }
    return step({ active, changedAt: snapshot.at, floors }, change);
  }
  if (current.active.length > 0) {
    const last = current.active[current.active.length - 1]!;
    const held = last === 'defer' ? Math.max(0, snapshot.deferredDepth ?? 0) : 0;
    const after = held > 0 ? forecastWait({ ...snapshot, queueDepth: snapshot.queueDepth + held }) : forecast;
    if (after.waitSeconds <= exitAt * target) {
      const active = current.active.slice(0, -1);
      const measured = held > 0 ? `with the ${held} deferred task${held === 1 ? '' : 's'} back in the queue, forecast wait ${secs(after.waitSeconds)}` : `forecast wait ${secs(wait)}`;
      const reason = `${measured} is at or below ${Math.round(exitAt * 100)}% of the ${target} s target (${load(snapshot, forecast)}): "${last}" is reverted`;
      return step(off(current, last, active, snapshot.at), { action: last, direction: 'off', active, reason, ...base });
    }
  }
  return step(current, null);
}

function off(current: SurgeState, action: SurgeAction, active: SurgeAction[], at: number): SurgeState {
  return { active, changedAt: at, floors: action === 'lowerThresholds' ? {} : current.floors };
}

// ---------------------------------------------------------------------------------------------
// Applying the state to routing

/** The surge policy with its conditions parsed, once per workflow version. */
export interface CompiledSurge {
  spec: SurgeSpec;
  prioritizeRules: ReadonlySet<string>;
  prioritizeWhen: Rule | null;
  deferWhen: Rule | null;
}

export function compileSurge(spec: SurgeSpec | undefined): CompiledSurge | null {
  if (!spec) return null;
  const parse = (source: string | undefined): Rule | null => {
    if (source === undefined) return null;
    const parsed = parseRule(source);
    if (!parsed.ok) throw new Error(`invalid surge condition "${source}": ${parsed.error}`);
    return parsed.rule;
  };
  return {
    spec,
    prioritizeRules: new Set(spec.prioritize?.rules ?? []),
    prioritizeWhen: parse(spec.prioritize?.when),
    deferWhen: parse(spec.defer?.when),
  };
}

const on = (state: SurgeState, action: SurgeAction): boolean => state.active.includes(action);

/**
 * The thresholds to route by: the usual ones, but while `lowerThresholds` is in effect each
 * lowered label's threshold is min(usual, max(floor, usual − maxDrop)). Never below the floor
 * threshold, never above the usual one; other labels keep theirs.
 */
export function surgePolicy<P extends Pick<PolicySpec, 'threshold' | 'labelThresholds'>>(policy: P, surge: CompiledSurge | null, state: SurgeState): P {
  if (!surge?.spec.lowerThresholds || !on(state, 'lowerThresholds')) return policy;
  const { labels, maxDrop } = surge.spec.lowerThresholds;
  const labelThresholds = { ...policy.labelThresholds };
  for (const label of labels) {
    const floor = state.floors[label];
    if (floor === undefined) continue;
    const usual = thresholdFor(policy, label);
    labelThresholds[label] = Math.min(usual, Math.max(floor, usual - maxDrop));
  }
  return { ...policy, labelThresholds };
}

/** What is known of an item when its tasks are made. */
export interface SurgeItem extends RuleContext {
  /** Names of the policy rules the item matched (route reasons). */
  matchedRules: readonly string[];
}

function prioritized(surge: CompiledSurge, item: SurgeItem): boolean {
  return item.matchedRules.some((r) => surge.prioritizeRules.has(r)) || (surge.prioritizeWhen !== null && evaluateRule(surge.prioritizeWhen, item));
}

/** Priority added to the item's tasks: the boost while `prioritize` is in effect and it matches. */
export function surgePriorityBoost(surge: CompiledSurge | null, state: SurgeState, item: SurgeItem): number {
  if (!surge?.spec.prioritize || !on(state, 'prioritize')) return 0;
  return prioritized(surge, item) ? surge.spec.prioritize.boost : 0;
}

/**
 * Whether the item's new tasks wait, unclaimable, until `defer` is reverted. An item the
 * surge prioritises is never deferred, whether or not `prioritize` is in effect yet.
 */
export function isDeferred(surge: CompiledSurge | null, state: SurgeState, item: SurgeItem): boolean {
  if (!surge?.deferWhen || !on(state, 'defer')) return false;
  if ((surge.prioritizeWhen !== null || surge.prioritizeRules.size > 0) && prioritized(surge, item)) return false;
  return evaluateRule(surge.deferWhen, item);
}
