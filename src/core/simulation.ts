// The surge simulator: a discrete-event simulation of a day of traffic through the real routing
// policy to a fixed team of reviewers. Items arrive as a Poisson process whose rate follows a
// profile (a steady rate with surges, or an hourly list); each is an item the model scored (drawn
// from a pool of measured confidences and correctness), routed by core/policy's decideRoute; the
// items that reach people wait in one queue (priority, then arrival) for N reviewers whose
// handle times are drawn from a measured distribution. A surge controller, when given, sees the
// load every minute and may change routing. Pure and seeded: the same input gives the same day.
//
// Each random stream (arrivals, items, handle times, answers) has its own seed, and every draw
// an item needs is made when it arrives, so runs that differ only in the number of reviewers or
// the surge controller see the very same items: their differences are the policy's, not noise.
import { seededRandom } from './estimate.ts';
import { decideRoute, type RouteInput } from './policy.ts';
import type { Route } from './types.ts';
import type { CompiledRule, PolicySpec } from './workflow.ts';

/** Arrivals per hour, constant from `fromSeconds` (inclusive) to `toSeconds`. */
export interface RateSegment {
  fromSeconds: number;
  toSeconds: number;
  arrivalsPerHour: number;
}

export interface Surge {
  /** Multiplies the base rate, e.g. 3 for "3x". */
  factor: number;
  fromSeconds: number;
  toSeconds: number;
}

export class SimulationInputError extends Error {}

/** "3x@10:00-14:00" (or "3@10-14", "2.5x@09:30-11:00"): a factor and a time of day. */
export function parseSurge(text: string): Surge {
  const m = /^\s*(\d+(?:\.\d+)?)x?@(\d{1,2})(?::(\d{2}))?-(\d{1,2})(?::(\d{2}))?\s*$/i.exec(text);
  if (!m) throw new SimulationInputError(`surge "${text}" must look like 3x@10:00-14:00`);
  const factor = Number(m[1]);
  const from = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60;
  const to = Number(m[4]) * 3600 + Number(m[5] ?? 0) * 60;
  if (!(factor > 0)) throw new SimulationInputError(`surge "${text}": the factor must be above 0`);
  if (Number(m[3] ?? 0) > 59 || Number(m[5] ?? 0) > 59 || from > 48 * 3600 || to > 48 * 3600) throw new SimulationInputError(`surge "${text}": not a time of day`);
  if (!(to > from)) throw new SimulationInputError(`surge "${text}": the end must be after the start`);
  return { factor, fromSeconds: from, toSeconds: to };
}

/** A steady rate, multiplied by each surge while it lasts, over `hours`. */
export function surgeProfile(arrivalsPerHour: number, surges: readonly Surge[], hours: number): RateSegment[] {
  const horizon = hours * 3600;
  const cuts = new Set<number>([0, horizon]);
  for (const s of surges) for (const t of [s.fromSeconds, s.toSeconds]) if (t > 0 && t < horizon) cuts.add(t);
  const points = [...cuts].sort((a, b) => a - b);
  const out: RateSegment[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const from = points[i]!;
    const to = points[i + 1]!;
    const factor = surges.filter((s) => s.fromSeconds <= from && from < s.toSeconds).reduce((f, s) => f * s.factor, 1);
    out.push({ fromSeconds: from, toSeconds: to, arrivalsPerHour: arrivalsPerHour * factor });
  }
  return out;
}

/** One rate per hour, hour 0 first. */
export function hourlyProfile(rates: readonly number[]): RateSegment[] {
  return rates.map((r, i) => ({ fromSeconds: i * 3600, toSeconds: (i + 1) * 3600, arrivalsPerHour: r }));
}

/** An item as the model scored it, with whether its label was right. */
export interface ScoredItem {
  label: string | null;
  confidence: number | null;
  correct: boolean;
  coverage?: number;
  text?: string;
  fields?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

export type HandleTimes =
  | { kind: 'exponential'; meanSeconds: number }
  | { kind: 'lognormal'; meanSeconds: number; sigma: number }
  /** Resampled from measured times. */
  | { kind: 'empirical'; seconds: readonly number[] };

export interface Routing {
  policy: PolicySpec;
  rules: CompiledRule[];
  labels: string[];
  /** Answers from distinct reviewers per item (the workflow's consensus). */
  answersPerItem: number;
}

/** What a surge controller sees each tick. */
export interface LoadSnapshot {
  atSeconds: number;
  /** Tasks a reviewer may claim that wait for one (deferred tasks not counted). */
  queueDepth: number;
  /** Tasks held back by the surge policy. */
  deferred: number;
  /** How long the oldest waiting task has waited. */
  oldestWaitSeconds: number;
  /** Items that arrived over the last 15 minutes, per hour. */
  arrivalsPerHour: number;
  /** Tasks made for people over the last 15 minutes, per hour. */
  humanArrivalsPerHour: number;
  reviewers: number;
  meanHandleSeconds: number;
  /** Time to clear the queue at full speed: depth × mean handle ÷ reviewers. */
  forecastWaitSeconds: number;
  targetWaitSeconds: number;
}

export interface SurgeController<S> {
  initial: S;
  /** The next state from the current one and the load. */
  next(state: S, load: LoadSnapshot): S;
  /** Routes an item under the state: its route (with the priority its tasks get) and whether its tasks are held back. */
  route(state: S, input: RouteInput): { route: Route; deferred: boolean };
  /** Whether held-back tasks stay held; when not, they join the queue. */
  defers(state: S): boolean;
  /** Whether the state differs from normal operation (for the report and the chart). */
  active(state: S): boolean;
  /** The state in a few words, for the log of changes. */
  describe(state: S): string;
}

export interface SimulationInput {
  seed: number;
  profile: RateSegment[];
  items: readonly ScoredItem[];
  routing: Routing;
  reviewers: number;
  handle: HandleTimes;
  reviewerAccuracy: number;
  /** The service level counts tasks a reviewer starts within this many seconds. */
  withinSeconds: number;
  costs: { reviewerPerHour: number; errorCost: number };
  /** The controller, or null for the plain policy. */
  surge?: SurgeController<unknown> | null;
  /** How often the controller looks at the load (default 60 s). */
  tickSeconds?: number;
  /** Timeline resolution for charts (default 300 s). */
  sampleSeconds?: number;
}

export interface HourStats {
  hour: number;
  arrivals: number;
  auto: number;
  toPeople: number;
  tasks: number;
  /** Wait for a reviewer, over tasks that arrived this hour and were not deferred (seconds). */
  waitP50: number | null;
  waitP95: number | null;
  /** Share of those tasks started within `withinSeconds`. */
  serviceLevel: number | null;
  /** Tasks the surge policy held back, and their p95 wait (they are out of the service level by design). */
  deferred: number;
  deferredWaitP95: number | null;
  /** Decisions right: by the machine, by people, all. */
  machineAccuracy: number | null;
  humanAccuracy: number | null;
  accuracy: number | null;
  errors: number;
  cost: number;
  /** Share of the hour's controller ticks with the surge policy active. */
  surgeActive: number;
}

export interface TimelinePoint {
  atSeconds: number;
  queueDepth: number;
  /** p95 wait of tasks started in the interval ending here; null when none started. */
  waitP95: number | null;
  surgeActive: boolean;
}

export interface Totals {
  arrivals: number;
  auto: number;
  toPeople: number;
  tasks: number;
  /** Over tasks not deferred. */
  waitP50: number | null;
  waitP95: number | null;
  meanWaitSeconds: number | null;
  serviceLevel: number | null;
  deferred: number;
  deferredWaitP95: number | null;
  accuracy: number | null;
  errors: number;
  cost: number;
  /** Tasks no reviewer had started when the simulation ended (a day after the last arrival). */
  unfinished: number;
}

export interface SimulationResult {
  reviewers: number;
  /** When the surge controller's state changed, and to what. */
  surgeChanges: Array<{ atSeconds: number; state: string }>;
  hours: HourStats[];
  timeline: TimelinePoint[];
  totals: Totals;
  /** The hours of the profile whose rate is above its lowest (the surge), or all when flat. */
  peak: Totals & { fromSeconds: number; toSeconds: number };
}

interface Task {
  arrival: number;
  priority: number;
  seq: number;
  handle: number;
  hour: number;
  start: number | null;
  deferred: boolean;
}

/** A binary heap: pop takes the element that comes `before` every other. */
class Heap<T> {
  private h: T[] = [];
  constructor(private readonly before: (a: T, b: T) => boolean) {}
  get size(): number {
    return this.h.length;
  }
  peek(): T | undefined {
    return this.h[0];
  }
  /** Every element, in no particular order. */
  values(): readonly T[] {
    return this.h;
  }
  push(v: T): void {
    const h = this.h;
    h.push(v);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): T | undefined {
    const h = this.h;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.before(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function oldestArrival(tasks: readonly Task[]): number | null {
  let oldest: number | null = null;
  for (const t of tasks) if (oldest === null || t.arrival < oldest) oldest = t.arrival;
  return oldest;
}

export function checkSimulationInput(input: SimulationInput): void {
  const fail = (m: string): never => {
    throw new SimulationInputError(m);
  };
  if (input.profile.length === 0) fail('the rate profile is empty');
  for (const s of input.profile) {
    if (!(Number.isFinite(s.arrivalsPerHour) && s.arrivalsPerHour >= 0)) fail('arrival rates must be numbers ≥ 0');
    if (!(s.toSeconds > s.fromSeconds)) fail('profile segments must have a positive length');
  }
  if (input.profile.reduce((n, s) => n + (s.arrivalsPerHour * (s.toSeconds - s.fromSeconds)) / 3600, 0) > 5_000_000) fail('more than 5 million arrivals: simulate fewer hours or a lower rate');
  if (input.items.length === 0) fail('no scored items to draw from');
  if (!(Number.isInteger(input.reviewers) && input.reviewers >= 1 && input.reviewers <= 100_000)) fail('reviewers must be a whole number from 1 to 100000');
  if (!(input.reviewerAccuracy >= 0 && input.reviewerAccuracy <= 1)) fail('reviewer accuracy must be between 0 and 1');
  if (!(Number.isFinite(input.withinSeconds) && input.withinSeconds >= 0)) fail('within seconds must be a number ≥ 0');
  const h = input.handle;
  if (h.kind === 'empirical') {
    if (h.seconds.length === 0 || h.seconds.some((s) => !(s > 0 && Number.isFinite(s)))) fail('measured handle times must be positive numbers');
  } else {
    if (!(h.meanSeconds > 0 && Number.isFinite(h.meanSeconds))) fail('the mean handle time must be above 0');
    if (h.kind === 'lognormal' && !(h.sigma >= 0 && h.sigma <= 5)) fail('the lognormal sigma must be between 0 and 5');
  }
  if (!(Number.isInteger(input.routing.answersPerItem) && input.routing.answersPerItem >= 1)) fail('answers per item must be a whole number ≥ 1');
}

function sampler(h: HandleTimes, rnd: () => number): () => number {
  if (h.kind === 'exponential') return () => -Math.log(1 - rnd()) * h.meanSeconds;
  if (h.kind === 'empirical') return () => h.seconds[Math.floor(rnd() * h.seconds.length)]!;
  const mu = Math.log(h.meanSeconds) - (h.sigma * h.sigma) / 2;
  return () => {
    // Box–Muller; 1 − u keeps the logarithm finite.
    const z = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    return Math.exp(mu + h.sigma * z);
  };
}

export function meanHandleSeconds(h: HandleTimes): number {
  return h.kind === 'empirical' ? h.seconds.reduce((a, b) => a + b, 0) / h.seconds.length : h.meanSeconds;
}

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Arrival times of a piecewise-constant Poisson process (memoryless, so each segment starts afresh). */
function arrivalTimes(profile: readonly RateSegment[], rnd: () => number): number[] {
  const out: number[] = [];
  for (const s of profile) {
    const rate = s.arrivalsPerHour / 3600;
    if (rate <= 0) continue;
    let t = s.fromSeconds;
    for (;;) {
      t += -Math.log(1 - rnd()) / rate;
      if (t >= s.toSeconds) break;
      out.push(t);
    }
  }
  return out;
}

/** The hours of the profile above its lowest rate: the surge, when there is one. */
export function peakWindow(profile: readonly RateSegment[]): { fromSeconds: number; toSeconds: number } {
  const lowest = Math.min(...profile.map((s) => s.arrivalsPerHour));
  const high = profile.filter((s) => s.arrivalsPerHour > lowest);
  const chosen = high.length > 0 ? high : profile;
  return { fromSeconds: Math.min(...chosen.map((s) => s.fromSeconds)), toSeconds: Math.max(...chosen.map((s) => s.toSeconds)) };
}

interface Outcome {
  hour: number;
  arrival: number;
  machine: boolean;
  correct: boolean;
}

export function simulate(input: SimulationInput): SimulationResult {
  checkSimulationInput(input);
  const tick = input.tickSeconds ?? 60;
  const sampleEvery = input.sampleSeconds ?? 300;
  const horizon = Math.max(...input.profile.map((s) => s.toSeconds));
  const hoursCount = Math.ceil(horizon / 3600);
  const arrivals = arrivalTimes(input.profile, seededRandom(input.seed));
  const pick = seededRandom(input.seed ^ 0x5bd1e995);
  const handleOf = sampler(input.handle, seededRandom(input.seed ^ 0x27d4eb2f));
  const answerRnd = seededRandom(input.seed ^ 0x165667b1);
  const meanHandle = meanHandleSeconds(input.handle);
  const { routing } = input;
  const surge = input.surge ?? null;
  let state: unknown = surge?.initial;

  // Tasks waiting: highest priority first, then earliest arrival.
  const queue = new Heap<Task>((a, b) => (a.priority !== b.priority ? a.priority > b.priority : a.seq < b.seq));
  // Completion times of busy reviewers, earliest first.
  const busy = new Heap<number>((a, b) => a < b);
  const tasks: Task[] = [];
  const outcomes: Outcome[] = [];
  const timeline: TimelinePoint[] = [];
  const activeTicks = new Array<number>(hoursCount).fill(0);
  const allTicks = new Array<number>(hoursCount).fill(0);
  const recentHuman: number[] = [];
  const recentItems: number[] = [];
  let held: Task[] = [];
  const surgeChanges: SimulationResult['surgeChanges'] = [];
  let described = surge ? surge.describe(state) : '';
  let startedSinceSample: number[] = [];
  let seq = 0;
  let nextArrival = 0;
  let nextTick = 0;
  let nextSample = sampleEvery;
  // A day past the last arrival to let the queue drain; what is left then is unfinished.
  const stopAt = horizon + 86400;

  const startWork = (now: number) => {
    while (busy.size < input.reviewers && queue.size > 0) {
      const t = queue.pop()!;
      t.start = now;
      startedSinceSample.push(now - t.arrival);
      busy.push(now + t.handle);
    }
  };

  for (;;) {
    const arrivalAt = nextArrival < arrivals.length ? arrivals[nextArrival]! : Infinity;
    const doneAt = busy.peek() ?? Infinity;
    // Past the last arrival the controller keeps looking while work remains, so that it can
    // release what it held back as the load falls.
    const tickAt = surge && (nextTick < horizon || held.length > 0) ? nextTick : Infinity;
    const sampleAt = nextSample <= horizon ? nextSample : Infinity;
    const now = Math.min(arrivalAt, doneAt, tickAt, sampleAt);
    if (now === Infinity || now > stopAt) break;
    if (now === doneAt) {
      busy.pop();
      startWork(now);
    } else if (now === sampleAt) {
      startedSinceSample.sort((a, b) => a - b);
      timeline.push({ atSeconds: now, queueDepth: queue.size, waitP95: quantile(startedSinceSample, 0.95), surgeActive: surge ? surge.active(state) : false });
      startedSinceSample = [];
      nextSample += sampleEvery;
    } else if (now === tickAt) {
      while (recentHuman.length > 0 && recentHuman[0]! < now - 900) recentHuman.shift();
      while (recentItems.length > 0 && recentItems[0]! < now - 900) recentItems.shift();
      const oldest = oldestArrival(queue.values());
      const span = Math.min(900, Math.max(now, 1));
      state = surge!.next(state, {
        atSeconds: now,
        queueDepth: queue.size,
        deferred: held.length,
        oldestWaitSeconds: oldest === null ? 0 : now - oldest,
        arrivalsPerHour: (recentItems.length * 3600) / span,
        humanArrivalsPerHour: (recentHuman.length * 3600) / span,
        reviewers: input.reviewers,
        meanHandleSeconds: meanHandle,
        forecastWaitSeconds: (queue.size * meanHandle) / input.reviewers,
        targetWaitSeconds: input.withinSeconds,
      });
      const d = surge!.describe(state);
      if (d !== described) {
        surgeChanges.push({ atSeconds: now, state: d });
        described = d;
      }
      if (held.length > 0 && !surge!.defers(state)) {
        for (const t of held) queue.push(t);
        held = [];
        startWork(now);
      }
      if (now < horizon) {
        const h = Math.floor(now / 3600);
        allTicks[h]!++;
        if (surge!.active(state)) activeTicks[h]!++;
      }
      nextTick += tick;
    } else {
      nextArrival++;
      const item = input.items[Math.floor(pick() * input.items.length)]!;
      const hour = Math.min(hoursCount - 1, Math.floor(now / 3600));
      const routeInput: RouteInput = {
        policy: routing.policy,
        rules: routing.rules,
        labels: routing.labels,
        prediction: item.label === null || item.confidence === null
          ? null
          : { labels: { [item.label]: item.confidence }, label: item.label, confidence: item.confidence, explanation: [], model: 'simulated', ...(item.coverage === undefined ? {} : { coverage: item.coverage }) },
        // As the engine routes: the item's text is a field rules can test (`text contains …`).
        fields: item.text === undefined ? item.fields ?? {} : { text: item.text, ...item.fields },
        metadata: item.metadata ?? {},
        itemKey: `sim-${input.seed}-${nextArrival}`,
      };
      const { route, deferred } = surge ? surge.route(state, routeInput) : { route: decideRoute(routeInput), deferred: false };
      // Every draw for the item is made now, whatever its route, so that runs stay aligned.
      const answersRight: boolean[] = [];
      const handles: number[] = [];
      for (let k = 0; k < Math.max(routing.answersPerItem, 1); k++) {
        answersRight.push(answerRnd() < input.reviewerAccuracy);
        handles.push(handleOf());
      }
      const auditRight = answerRnd() < input.reviewerAccuracy;
      const auditHandle = handleOf();
      recentItems.push(now);
      const enqueue = (handle: number) => {
        const t: Task = { arrival: now, priority: route.priority, seq: seq++, handle, hour, start: null, deferred };
        tasks.push(t);
        if (deferred) held.push(t);
        else queue.push(t);
        recentHuman.push(now);
      };
      if (route.route === 'auto') {
        // An audit that finds the machine wrong corrects the decision, if the auditor is right.
        const correct = item.correct || (route.audit && auditRight);
        outcomes.push({ hour, arrival: now, machine: true, correct });
        if (route.audit) enqueue(auditHandle);
      } else {
        const right = answersRight.filter(Boolean).length;
        outcomes.push({ hour, arrival: now, machine: false, correct: right * 2 > answersRight.length });
        for (const h of handles) enqueue(h);
      }
      startWork(now);
    }
  }

  const stats = (all: readonly Task[], os: readonly Outcome[], hoursSpanned: number) => {
    const ts = all.filter((t) => !t.deferred);
    // A task never started waited at least until the end: counted so, never as on time.
    const waitOf = (t: Task) => (t.start ?? stopAt) - t.arrival;
    const waits = ts.map(waitOf).sort((a, b) => a - b);
    const held = all.filter((t) => t.deferred).map(waitOf).sort((a, b) => a - b);
    const onTime = ts.filter((t) => t.start !== null && t.start - t.arrival <= input.withinSeconds).length;
    const machine = os.filter((o) => o.machine);
    const people = os.filter((o) => !o.machine);
    const errors = os.filter((o) => !o.correct).length;
    const share = (xs: readonly Outcome[]) => (xs.length === 0 ? null : xs.filter((o) => o.correct).length / xs.length);
    return {
      arrivals: os.length,
      auto: machine.length,
      toPeople: people.length,
      tasks: all.length,
      deferred: held.length,
      deferredWaitP95: quantile(held, 0.95),
      waitP50: quantile(waits, 0.5),
      waitP95: quantile(waits, 0.95),
      meanWaitSeconds: waits.length === 0 ? null : waits.reduce((a, b) => a + b, 0) / waits.length,
      serviceLevel: ts.length === 0 ? null : onTime / ts.length,
      machineAccuracy: share(machine),
      humanAccuracy: share(people),
      accuracy: share(os),
      errors,
      cost: hoursSpanned * input.reviewers * input.costs.reviewerPerHour + errors * input.costs.errorCost,
      unfinished: all.filter((t) => t.start === null).length,
    };
  };

  const tasksByHour = Array.from({ length: hoursCount }, (): Task[] => []);
  const outcomesByHour = Array.from({ length: hoursCount }, (): Outcome[] => []);
  for (const t of tasks) tasksByHour[t.hour]!.push(t);
  for (const o of outcomes) outcomesByHour[o.hour]!.push(o);
  const hours: HourStats[] = [];
  for (let h = 0; h < hoursCount; h++) {
    const from = h * 3600;
    const to = Math.min(horizon, from + 3600);
    const s = stats(tasksByHour[h]!, outcomesByHour[h]!, (to - from) / 3600);
    hours.push({
      hour: h, arrivals: s.arrivals, auto: s.auto, toPeople: s.toPeople, tasks: s.tasks, waitP50: s.waitP50, waitP95: s.waitP95, serviceLevel: s.serviceLevel,
      deferred: s.deferred, deferredWaitP95: s.deferredWaitP95,
      machineAccuracy: s.machineAccuracy, humanAccuracy: s.humanAccuracy, accuracy: s.accuracy, errors: s.errors, cost: s.cost,
      surgeActive: allTicks[h]! > 0 ? activeTicks[h]! / allTicks[h]! : 0,
    });
  }
  const totalsOf = ({ machineAccuracy: _m, humanAccuracy: _h, ...rest }: ReturnType<typeof stats>): Totals => rest;
  const window = peakWindow(input.profile);
  return {
    reviewers: input.reviewers,
    surgeChanges,
    hours,
    timeline,
    totals: totalsOf(stats(tasks, outcomes, horizon / 3600)),
    peak: {
      ...totalsOf(stats(
        tasks.filter((t) => t.arrival >= window.fromSeconds && t.arrival < window.toSeconds),
        outcomes.filter((o) => o.arrival >= window.fromSeconds && o.arrival < window.toSeconds),
        (window.toSeconds - window.fromSeconds) / 3600,
      )),
      ...window,
    },
  };
}

/**
 * The least number of reviewers whose service level over the peak window reaches `serviceLevel`,
 * by bisection over runs with the same seed (so the same items arrive in every run). Null when
 * even `maxReviewers` cannot.
 */
export function findReviewers(input: Omit<SimulationInput, 'reviewers'>, serviceLevel: number, maxReviewers = 5000): { reviewers: number; result: SimulationResult } | null {
  const run = (n: number) => simulate({ ...input, reviewers: n });
  const meets = (r: SimulationResult) => (r.peak.serviceLevel ?? 1) >= serviceLevel;
  // The offered load at the peak is a lower bound for a stable queue; start there.
  const peakRate = Math.max(...input.profile.map((s) => s.arrivalsPerHour));
  let hi = Math.max(1, Math.ceil((peakRate * meanHandleSeconds(input.handle)) / 3600));
  let lo = 0;
  let best = run(hi);
  while (!meets(best)) {
    if (hi >= maxReviewers) return null;
    lo = hi;
    hi = Math.min(maxReviewers, hi * 2);
    best = run(hi);
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const r = run(mid);
    if (meets(r)) {
      hi = mid;
      best = r;
    } else lo = mid;
  }
  return { reviewers: hi, result: best };
}
