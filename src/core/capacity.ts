// How many reviewers a workflow needs: queueing theory over the items that reach people.
// Erlang C (M/M/c: people wait as long as it takes) and Erlang A (M/M/c+M: a waiting item is
// withdrawn after an exponential patience) give, for c reviewers, the probability an item waits,
// the expected wait, the share started within a target time (the service level) and occupancy;
// the planner finds the least c meeting a target and adds shrinkage (breaks, meetings, absence).
// Computed without factorials or powers, so hundreds of reviewers and heavy traffic neither
// overflow nor lose precision: Erlang B by its recursion, Erlang A's stationary distribution in
// logarithms.

export interface QueueLoad {
  /** Items reaching people per hour (after automation). */
  arrivalsPerHour: number;
  /** Mean time one person spends on one item, seconds. */
  handleSeconds: number;
  /** Mean time an item may wait before it is withdrawn (Erlang A); null: it waits for ever (Erlang C). */
  patienceSeconds: number | null;
}

export interface QueuePerformance {
  agents: number;
  /** Offered load in erlangs: arrivals × handle time. */
  traffic: number;
  /** Share of their time the agents are busy; at most 1. */
  occupancy: number;
  probabilityOfWaiting: number;
  /** Mean time an arrival waits before a person starts on it (all arrivals; Infinity when overloaded). */
  expectedWaitSeconds: number;
  /** Share of arrivals a person starts on within `withinSeconds`. */
  serviceLevel: number;
  withinSeconds: number;
  /** Share of arrivals withdrawn before a person started (Erlang A); null under Erlang C. */
  abandonment: number | null;
}

/** Erlang B (blocking probability of c servers offered `traffic` erlangs), by the stable recursion B(n) = A·B(n−1) / (n + A·B(n−1)). */
export function erlangB(agents: number, traffic: number): number {
  if (traffic <= 0) return 0;
  let b = 1;
  for (let n = 1; n <= agents; n++) b = (traffic * b) / (n + traffic * b);
  return b;
}

/** Erlang C: the probability an arrival waits, from Erlang B; 1 when the agents cannot keep up. */
export function erlangC(agents: number, traffic: number): number {
  if (traffic <= 0) return 0;
  if (agents <= traffic) return 1;
  const b = erlangB(agents, traffic);
  return (agents * b) / (agents - traffic * (1 - b));
}

const idle = (agents: number, withinSeconds: number, patience: boolean): QueuePerformance => ({
  agents, traffic: 0, occupancy: 0, probabilityOfWaiting: 0, expectedWaitSeconds: 0, serviceLevel: 1, withinSeconds, abandonment: patience ? 0 : null,
});

export function erlangCPerformance(agents: number, load: Pick<QueueLoad, 'arrivalsPerHour' | 'handleSeconds'>, withinSeconds: number): QueuePerformance {
  const traffic = (load.arrivalsPerHour * load.handleSeconds) / 3600;
  if (traffic <= 0) return idle(agents, withinSeconds, false);
  if (agents <= traffic) {
    return { agents, traffic, occupancy: 1, probabilityOfWaiting: 1, expectedWaitSeconds: Infinity, serviceLevel: 0, withinSeconds, abandonment: null };
  }
  const c = erlangC(agents, traffic);
  return {
    agents,
    traffic,
    occupancy: traffic / agents,
    probabilityOfWaiting: c,
    expectedWaitSeconds: (c * load.handleSeconds) / (agents - traffic),
    serviceLevel: Math.min(1, Math.max(0, 1 - c * Math.exp((-(agents - traffic) * withinSeconds) / load.handleSeconds))),
    withinSeconds,
    abandonment: null,
  };
}

/** Tail mass (relative to the largest state) below which Erlang A's distribution is cut: e^-40 ≈ 4e-18. */
const negligibleLog = -40;
/** A guard against runaway state spaces (patience far longer than service under overload). */
const maxStates = 2_000_000;

export class CapacityInputError extends Error {}

/**
 * Erlang A (M/M/c+M), exactly from the birth–death chain's stationary distribution: births at
 * λ, deaths at min(n, c)·μ + max(n − c, 0)·θ. The service level (started within t, not withdrawn
 * before) follows a tagged arrival with j items ahead: it moves up at c·μ + j·θ and leaves at θ,
 * computed for all j at once by uniformisation.
 */
export function erlangAPerformance(agents: number, load: QueueLoad, withinSeconds: number): QueuePerformance {
  if (load.patienceSeconds === null) return erlangCPerformance(agents, load, withinSeconds);
  const lambda = load.arrivalsPerHour / 3600;
  const mu = 1 / load.handleSeconds;
  const theta = 1 / load.patienceSeconds;
  const traffic = lambda / mu;
  if (traffic <= 0) return idle(agents, withinSeconds, true);
  const c = agents;
  // log p_n up to a normalising constant.
  const logs: number[] = [0];
  let top = 0;
  for (let n = 1; ; n++) {
    const death = Math.min(n, c) * mu + Math.max(n - c, 0) * theta;
    const l = logs[n - 1]! + Math.log(lambda) - Math.log(death);
    logs.push(l);
    if (l > top) top = l;
    // Past the agents and the mode, once the terms are negligible they only shrink further.
    if (n > c && l < logs[n - 1]! && l - top < negligibleLog) break;
    if (n >= maxStates) throw new CapacityInputError('the queue is too long to compute: patience is far longer than the agents can serve');
  }
  let sum = 0;
  for (const l of logs) sum += Math.exp(l - top);
  const p = logs.map((l) => Math.exp(l - top) / sum);
  let waiting = 0;
  let queueLength = 0;
  for (let n = c; n < p.length; n++) {
    waiting += p[n]!;
    queueLength += (n - c) * p[n]!;
  }
  const abandonment = Math.min(1, (theta * queueLength) / lambda);
  const served = lambda * (1 - abandonment);
  const delayed = p.slice(c);
  const servedWithin = delayed.length === 0 ? 0 : delayedServedWithin(delayed, c * mu, theta, withinSeconds);
  return {
    agents,
    traffic,
    occupancy: Math.min(1, served / (c * mu)),
    probabilityOfWaiting: Math.min(1, waiting),
    expectedWaitSeconds: queueLength / lambda,
    serviceLevel: Math.min(1, Math.max(0, 1 - waiting + servedWithin)),
    withinSeconds,
    abandonment,
  };
}

/**
 * Σ_j mass[j] · P(an arrival with j items ahead is started within t and not withdrawn first).
 * The uniformised chain over "j ahead" runs once with the arrival distribution as its start, and
 * the mass absorbed into "started" after k steps is weighted by the Poisson(Λt) probability of k
 * steps (those weights are taken in logarithms: e^-Λt underflows for long targets).
 */
function delayedServedWithin(mass: number[], serviceRate: number, theta: number, t: number): number {
  if (t <= 0) return 0;
  const maxAhead = mass.length - 1;
  const rate = serviceRate + maxAhead * theta + theta;
  const lt = rate * t;
  const steps = Math.ceil(lt + 12 * Math.sqrt(lt) + 30);
  let dist = mass.slice();
  let next = new Array<number>(dist.length).fill(0);
  let started = 0;
  let result = 0;
  let logPoisson = -lt;
  for (let k = 0; k <= steps; k++) {
    if (k > 0) {
      next.fill(0);
      for (let j = 0; j <= maxAhead; j++) {
        const pj = dist[j]!;
        if (pj === 0) continue;
        const advance = serviceRate + j * theta;
        if (j === 0) started += pj * (advance / rate);
        else next[j - 1]! += pj * (advance / rate);
        next[j]! += pj * ((rate - advance - theta) / rate);
      }
      [dist, next] = [next, dist];
      logPoisson += Math.log(lt / k);
    }
    result += Math.exp(logPoisson) * started;
  }
  // The Poisson tail past `steps` is negligible; what is absorbed by then stays absorbed.
  return result;
}

export function queuePerformance(agents: number, load: QueueLoad, withinSeconds: number): QueuePerformance {
  return load.patienceSeconds === null ? erlangCPerformance(agents, load, withinSeconds) : erlangAPerformance(agents, load, withinSeconds);
}

/** The least number of agents whose service level reaches `serviceLevel` (0 when nothing arrives). */
export function agentsNeeded(load: QueueLoad, serviceLevel: number, withinSeconds: number): number {
  const traffic = (load.arrivalsPerHour * load.handleSeconds) / 3600;
  if (traffic <= 0) return 0;
  const meets = (c: number) => queuePerformance(c, load, withinSeconds).serviceLevel >= serviceLevel;
  // Erlang C needs more agents than the load; with patience, fewer may do.
  let lo = load.patienceSeconds === null ? Math.floor(traffic) : 0;
  let hi = Math.max(1, Math.ceil(traffic));
  while (!meets(hi)) {
    lo = hi;
    hi *= 2;
    if (hi > 10_000_000) throw new CapacityInputError('no number of agents meets this target');
  }
  // Invariant: lo fails (or is 0), hi meets.
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (meets(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

export interface PlanInput {
  /** All items arriving per hour, before automation. */
  arrivalsPerHour: number;
  handleSeconds: number;
  /** Target share of the items reaching people that a person starts within `withinSeconds`, in (0, 1). */
  serviceLevel: number;
  withinSeconds: number;
  /** Share of items the machine decides, 0 to 1. */
  automationRate: number;
  /** Share of paid time a reviewer is not working the queue, 0 to <1. */
  shrinkage: number;
  patienceSeconds: number | null;
}

export interface CapacityPlan {
  model: 'erlang-c' | 'erlang-a';
  input: PlanInput;
  humanArrivalsPerHour: number;
  traffic: number;
  /** Reviewers working the queue at once to meet the target. */
  needed: number;
  /** Reviewers to schedule: needed ÷ (1 − shrinkage), rounded up. */
  reviewers: number;
  /** The performance at `needed`. */
  achieved: QueuePerformance;
  /** Around `needed`: what fewer or more reviewers at work would give. */
  table: QueuePerformance[];
}

/** Scheduled headcount for `needed` people at work, with shrinkage. */
export function withShrinkage(needed: number, shrinkage: number): number {
  // Rounded to 9 digits first: 14 / (1 − 0.3) is 20.000000000000004 in floating point.
  return Math.ceil(Number((needed / (1 - shrinkage)).toFixed(9)));
}

export function checkPlanInput(input: PlanInput): void {
  const fail = (m: string) => {
    throw new CapacityInputError(m);
  };
  if (!(Number.isFinite(input.arrivalsPerHour) && input.arrivalsPerHour >= 0)) fail('arrivals per hour must be a number ≥ 0');
  if (!(Number.isFinite(input.handleSeconds) && input.handleSeconds > 0)) fail('handle seconds must be a number > 0');
  if (!(input.serviceLevel > 0 && input.serviceLevel < 1)) fail('service level must be between 0 and 1 (exclusive), e.g. 0.8');
  if (!(Number.isFinite(input.withinSeconds) && input.withinSeconds >= 0)) fail('within seconds must be a number ≥ 0');
  if (!(input.automationRate >= 0 && input.automationRate <= 1)) fail('automation rate must be between 0 and 1');
  if (!(input.shrinkage >= 0 && input.shrinkage < 1)) fail('shrinkage must be at least 0 and below 1');
  if (input.patienceSeconds !== null && !(Number.isFinite(input.patienceSeconds) && input.patienceSeconds > 0)) fail('patience seconds must be a number > 0');
}

export function planCapacity(input: PlanInput): CapacityPlan {
  checkPlanInput(input);
  const load: QueueLoad = {
    arrivalsPerHour: input.arrivalsPerHour * (1 - input.automationRate),
    handleSeconds: input.handleSeconds,
    patienceSeconds: input.patienceSeconds,
  };
  const needed = agentsNeeded(load, input.serviceLevel, input.withinSeconds);
  const achieved = queuePerformance(needed, load, input.withinSeconds);
  const table: QueuePerformance[] = [];
  for (let c = Math.max(1, needed - 3); c <= needed + 3; c++) table.push(c === needed ? achieved : queuePerformance(c, load, input.withinSeconds));
  return {
    model: input.patienceSeconds === null ? 'erlang-c' : 'erlang-a',
    input,
    humanArrivalsPerHour: load.arrivalsPerHour,
    traffic: achieved.traffic,
    needed,
    reviewers: withShrinkage(needed, input.shrinkage),
    achieved,
    table,
  };
}

export interface ThresholdOption {
  threshold: number;
  /** Share of items the machine would decide at this threshold. */
  automationRate: number;
  /** Estimated accuracy of all final decisions at this threshold, when known. */
  estimatedAccuracy: number | null;
}

export interface WhatIfRow extends ThresholdOption {
  needed: number;
  reviewers: number;
  expectedWaitSeconds: number;
  occupancy: number;
}

/** Reviewers needed at each threshold: a lower threshold lets the machine decide more and needs fewer people. */
export function thresholdWhatIf(input: PlanInput, options: readonly ThresholdOption[]): WhatIfRow[] {
  return options.map((o) => {
    const plan = planCapacity({ ...input, automationRate: o.automationRate });
    return { ...o, needed: plan.needed, reviewers: plan.reviewers, expectedWaitSeconds: plan.achieved.expectedWaitSeconds, occupancy: plan.achieved.occupancy };
  });
}
