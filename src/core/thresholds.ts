// Target-accuracy routing: choose the confidence thresholds that meet a workflow's accuracy
// target with the fewest items sent to people, and notice when audits say the promise broke.
//
// The model of the world: an item whose calibrated confidence reaches its threshold is decided
// by the machine, every other item by people, who are right with a known probability. So the
// accuracy of all final decisions is
//     share_auto × accuracy_auto + share_human × accuracy_human,
// and a threshold is acceptable only if that holds at the target with accuracy_auto replaced by
// a one-sided lower confidence bound. The bound rests on items whose correctness is known
// (human answers, audits of automatic decisions), with the calibrated confidence of all items
// above the threshold counted as a few pseudo-observations: calibration speaks where labelled
// evidence is thin, and the evidence outweighs it as it grows.
//
// Known outcomes over-represent low confidences (every item below the old threshold was
// answered; above it only audits were). Accuracy rises with calibrated confidence, so pooling
// them under a lower threshold estimates its accuracy too low rather than too high: the bias is
// on the safe side. Above the old threshold only audits count, an unbiased sample.
import { majorityAccuracy, wilsonInterval, zOneSided, binomialCdf, type Interval } from './estimate.ts';

/** One recent item the thresholds are tuned on. */
export interface EvidenceItem {
  /** Calibrated confidence of the model's top label. */
  confidence: number;
  /** The model's top label. */
  label: string;
  /** Whether that label was right, when a person answered or audited the item; null if unknown. */
  correct: boolean | null;
}

export interface PlanOptions {
  /** Accuracy all final decisions must reach, e.g. 0.97. */
  target: number;
  /** Probability that one person gives the right answer. */
  reviewerAccuracy?: number;
  /** Answers per item sent to people, settled by strict majority. */
  reviewers?: number;
  /** Level of the one-sided lower bound on the machine's accuracy. */
  confidence?: number;
  /** Weight of the calibrated confidences, in pseudo-items, against known outcomes. */
  priorStrength?: number;
  /** Also tune one threshold per label. */
  perLabel?: boolean;
  /** Most reviewers per item a consensus suggestion may ask for. */
  maxReviewers?: number;
}

export const defaultPlanOptions = {
  reviewerAccuracy: 0.98,
  reviewers: 1,
  confidence: 0.95,
  priorStrength: 20,
  perLabel: false,
  maxReviewers: 9,
} as const;

export interface ThresholdPlan {
  /** Whether the estimated accuracy meets the target (its lower bound does). */
  feasible: boolean;
  /** Plain-language note when the target is missed or the machine decides nothing; else null. */
  reason: string | null;
  target: number;
  /**
   * Confidence at or above which the machine decides; null: it decides nothing. In a per-label
   * plan, the threshold for labels the evidence does not cover.
   */
  threshold: number | null;
  /** Per label (perLabel only); a label absent here uses `threshold`. */
  labelThresholds: Record<string, number | null>;
  /** Share of items that go to people. */
  humanShare: number;
  /** Answers asked of people per item: humanShare × reviewers. */
  humanWork: number;
  reviewers: number;
  /** Accuracy of a human decision (of the majority when reviewers > 1). */
  humanAccuracy: number;
  /** Accuracy of the machine's decisions above the thresholds; null when it decides nothing. */
  autoAccuracy: (Interval & { known: number }) | null;
  /** Accuracy of all final decisions: the bounds are one-sided at `confidence`. */
  estimatedAccuracy: Interval;
  evidence: { items: number; known: number };
  /** When infeasible: the cheapest majority-of-n plan that would meet the target, if any. */
  consensus: ThresholdPlan | null;
}

/** Slack for rounding when comparing an estimate with the target. */
const EPS = 1e-12;

/** Cumulative evidence above some threshold. */
interface Stats {
  items: number;
  known: number;
  correct: number;
  confSum: number;
}

const none: Stats = { items: 0, known: 0, correct: 0, confSum: 0 };

interface Setting {
  z: number;
  prior: number;
  human: number;
  total: number;
  target: number;
}

function autoAccuracy(s: Stats, set: Setting): Interval {
  const mean = s.items > 0 ? s.confSum / s.items : 0;
  const trials = s.known + set.prior;
  if (!(trials > 0)) return { estimate: mean, lower: 0, upper: 1 };
  return wilsonInterval(s.correct + set.prior * mean, trials, set.z);
}

function overall(s: Stats, set: Setting): { auto: Interval | null; all: Interval } {
  const h = set.human;
  if (s.items === 0 || set.total === 0) return { auto: null, all: { estimate: h, lower: h, upper: h } };
  const share = s.items / set.total;
  const a = autoAccuracy(s, set);
  const mix = (v: number): number => share * v + (1 - share) * h;
  return { auto: a, all: { estimate: mix(a.estimate), lower: mix(a.lower), upper: mix(a.upper) } };
}

interface Candidate {
  stats: Stats;
  /** Threshold per label, or the one global threshold under the key ''. */
  thresholds: Map<string, number | null>;
  lower: number;
}

/**
 * The member of a family (ordered from most to least automation) to use: the one with the most
 * automation that meets the target, else the one with the highest lower bound (less
 * automation on ties). Feasible sets shrink as the target rises, so the choice moves only
 * towards less automation.
 */
function pick(family: Candidate[], target: number): { chosen: Candidate; feasible: boolean } {
  for (const c of family) if (c.lower >= target - EPS) return { chosen: c, feasible: true };
  let best = family[family.length - 1]!;
  for (let i = family.length - 1; i >= 0; i--) if (family[i]!.lower > best.lower + EPS) best = family[i]!;
  return { chosen: best, feasible: false };
}

interface Step {
  t: number;
  stats: Stats;
}

/** Distinct confidences, highest first, each with the evidence at or above it. */
function steps(items: readonly EvidenceItem[]): Step[] {
  const sorted = [...items].sort((a, b) => b.confidence - a.confidence);
  const out: Step[] = [];
  let s: Stats = none;
  for (let i = 0; i < sorted.length; ) {
    const t = sorted[i]!.confidence;
    let { items: n, known, correct, confSum } = s;
    for (; i < sorted.length && sorted[i]!.confidence === t; i++) {
      const e = sorted[i]!;
      n++;
      confSum += e.confidence;
      if (e.correct !== null) {
        known++;
        if (e.correct) correct++;
      }
    }
    s = { items: n, known, correct, confSum };
    out.push({ t, stats: s });
  }
  return out;
}

function globalFamily(items: readonly EvidenceItem[], set: Setting): Candidate[] {
  const fam: Candidate[] = [];
  const all = steps(items);
  for (let j = all.length - 1; j >= 0; j--) {
    const st = all[j]!;
    fam.push({ stats: st.stats, thresholds: new Map([['', st.t]]), lower: overall(st.stats, set).all.lower });
  }
  fam.push({ stats: none, thresholds: new Map([['', null]]), lower: set.human });
  return fam;
}

/** Evidence at or above `t` in `st` (highest confidence first), by binary search. */
function statsAbove(st: readonly Step[], t: number): Stats {
  let lo = 0;
  let hi = st.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (st[mid]!.t >= t) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? none : st[lo - 1]!.stats;
}

const outcomeRank = (c: boolean | null): number => (c === null ? 0 : c ? 2 : 1);

/**
 * Per-label thresholds by a Lagrangian sweep: for a price α on every automatic decision, each
 * label automates the set above the threshold that maximises (expected right answers − α ×
 * decisions), judged by that label's own evidence and calibration. Reliable labels thus get low
 * thresholds and unreliable ones high. The best set for a label is a vertex of the upper convex
 * hull of its (decisions, expected right) points, and raising α moves it one vertex back each
 * time α passes the slope of the edge it sits on; so sweeping α over the edge slopes in
 * ascending order walks every distinct plan, from the most automation to none, in
 * O(n log n).
 *
 * With a threshold per label the sweep can slip each one just under an item that happened to be
 * right, and the outcomes it was tuned on would then vouch for a choice made to flatter them
 * (on 77 labels that promised 97 % and delivered far less). So the evidence is split in two:
 * one half shapes the thresholds, the other alone certifies their accuracy. Shares are counted
 * on all items: whether an item clears a threshold does not depend on its outcome.
 */
function perLabelFamily(items: readonly EvidenceItem[], set: Setting): Candidate[] {
  // A canonical order, so the split (and the plan) does not depend on the order of the evidence;
  // alternating within each label's confidence order gives both halves the same mix.
  const sorted = [...items].sort(
    (a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0) || b.confidence - a.confidence || outcomeRank(a.correct) - outcomeRank(b.correct),
  );
  const byLabel = new Map<string, { shape: EvidenceItem[]; check: EvidenceItem[]; all: EvidenceItem[] }>();
  let seen = '';
  let parity = 0;
  for (const e of sorted) {
    if (e.label !== seen) {
      seen = e.label;
      parity = 0;
      byLabel.set(e.label, { shape: [], check: [], all: [] });
    }
    const g = byLabel.get(e.label)!;
    (parity++ % 2 === 0 ? g.shape : g.check).push(e);
    g.all.push(e);
  }
  const labels = [...byLabel.keys()];
  const groups = labels.map((l) => {
    const g = byLabel.get(l)!;
    return { shape: steps(g.shape), check: steps(g.check), all: steps(g.all) };
  });

  // hulls[l].at[v]: a threshold from the shaping half, null for deciding nothing (the origin).
  const hulls = groups.map(({ shape }) => {
    const xs = [0];
    const ys = [0];
    const at: Array<number | null> = [null];
    for (const { t, stats: s } of shape) {
      const mean = s.confSum / s.items;
      const trials = s.known + set.prior;
      const y = s.items * (trials > 0 ? (s.correct + set.prior * mean) / trials : mean);
      // Drop vertices on or below the chord: collinear ones too, so a tie goes to fewer decisions.
      while (at.length >= 2) {
        const m = at.length - 1;
        const cross = (xs[m]! - xs[m - 1]!) * (y - ys[m - 1]!) - (ys[m]! - ys[m - 1]!) * (s.items - xs[m - 1]!);
        if (cross < 0) break;
        xs.pop();
        ys.pop();
        at.pop();
      }
      xs.push(s.items);
      ys.push(y);
      at.push(t);
    }
    return { xs, ys, at };
  });

  // Every hull edge, by its slope: the price at which a label gives that edge up.
  const edges: Array<{ slope: number; label: number }> = [];
  hulls.forEach((h, l) => {
    for (let v = 1; v < h.at.length; v++) edges.push({ slope: (h.ys[v]! - h.ys[v - 1]!) / (h.xs[v]! - h.xs[v - 1]!), label: l });
  });
  edges.sort((a, b) => a.slope - b.slope || a.label - b.label);

  // Certified figures of one label at one vertex: items and confidences of all, outcomes of the check half.
  const certified = (l: number, v: number): Stats => {
    const t = hulls[l]!.at[v]!;
    if (t === null) return none;
    const all = statsAbove(groups[l]!.all, t);
    const check = statsAbove(groups[l]!.check, t);
    return { items: all.items, known: check.known, correct: check.correct, confSum: all.confSum };
  };
  const pointer = hulls.map((h) => h.at.length - 1);
  const s: Stats = { items: 0, known: 0, correct: 0, confSum: 0 };
  const add = (t: Stats, sign: number): void => {
    s.items += sign * t.items;
    s.known += sign * t.known;
    s.correct += sign * t.correct;
    s.confSum += sign * t.confSum;
  };
  pointer.forEach((v, l) => add(certified(l, v), 1));
  const snapshot = (): Candidate => {
    const thresholds = new Map<string, number | null>();
    pointer.forEach((v, l) => thresholds.set(labels[l]!, hulls[l]!.at[v]!));
    const stats = { ...s };
    return { stats, thresholds, lower: stats.items > 0 ? overall(stats, set).all.lower : set.human };
  };
  const fam: Candidate[] = [snapshot()];
  for (let e = 0; e < edges.length; ) {
    const slope = edges[e]!.slope;
    // Equal prices move together: ties go to fewer decisions.
    for (; e < edges.length && edges[e]!.slope <= slope + EPS; e++) {
      const l = edges[e]!.label;
      add(certified(l, pointer[l]!), -1);
      pointer[l] = pointer[l]! - 1;
      add(certified(l, pointer[l]!), 1);
    }
    fam.push(snapshot());
  }
  return fam;
}

function pct(v: number): string {
  return `${(v * 100).toFixed(1)} %`;
}

function checkOptions(o: PlanOptions): void {
  if (!(o.target > 0 && o.target <= 1)) throw new RangeError(`target must be in (0, 1], got ${o.target}`);
  const r = o.reviewerAccuracy ?? defaultPlanOptions.reviewerAccuracy;
  if (!(r >= 0 && r <= 1)) throw new RangeError(`reviewerAccuracy must be in [0, 1], got ${r}`);
  const p = o.priorStrength ?? defaultPlanOptions.priorStrength;
  if (!(p >= 0 && Number.isFinite(p))) throw new RangeError(`priorStrength must be a finite number ≥ 0, got ${p}`);
}

function checkEvidence(items: readonly EvidenceItem[]): void {
  for (const [i, e] of items.entries()) {
    if (!(e.confidence >= 0 && e.confidence <= 1)) throw new RangeError(`evidence ${i} has confidence ${e.confidence} outside [0, 1]`);
  }
}

/**
 * Chooses thresholds for `target` from recent evidence. Pure and deterministic: the same
 * evidence in any order gives the same plan.
 */
export function planThresholds(evidence: readonly EvidenceItem[], options: PlanOptions): ThresholdPlan {
  checkOptions(options);
  checkEvidence(evidence);
  const plan = planFor(evidence, options, options.reviewers ?? defaultPlanOptions.reviewers);
  if (plan.feasible) return plan;
  const reviewerAccuracy = options.reviewerAccuracy ?? defaultPlanOptions.reviewerAccuracy;
  const maxReviewers = options.maxReviewers ?? defaultPlanOptions.maxReviewers;
  let consensus: ThresholdPlan | null = null;
  if (reviewerAccuracy > 0.5) {
    for (let n = Math.max(3, plan.reviewers + 1 + (plan.reviewers % 2)); n <= maxReviewers; n += 2) {
      const p = planFor(evidence, options, n);
      if (p.feasible && (consensus === null || p.humanWork < consensus.humanWork - EPS)) consensus = p;
    }
  }
  const suggestion = consensus
    ? ` Asking ${consensus.reviewers} people per item and taking the majority would meet it, with ${pct(consensus.humanShare)} of items going to people.`
    : ` Not even the majority of ${maxReviewers} people per item would meet it; items are routed for the highest accuracy that can be promised until the model or the reviewers improve.`;
  return { ...plan, reason: `${plan.reason ?? ''}${suggestion}`, consensus };
}

function planFor(evidence: readonly EvidenceItem[], options: PlanOptions, reviewers: number): ThresholdPlan {
  const reviewerAccuracy = options.reviewerAccuracy ?? defaultPlanOptions.reviewerAccuracy;
  const human = majorityAccuracy(reviewerAccuracy, reviewers);
  const set: Setting = {
    z: zOneSided(options.confidence ?? defaultPlanOptions.confidence),
    prior: options.priorStrength ?? defaultPlanOptions.priorStrength,
    human,
    total: evidence.length,
    target: options.target,
  };
  const known = evidence.reduce((n, e) => n + (e.correct === null ? 0 : 1), 0);
  const global = pick(globalFamily(evidence, set), set.target);
  let { chosen, feasible } = global;
  let perLabel = false;
  if (options.perLabel && evidence.length > 0) {
    const pl = pick(perLabelFamily(evidence, set), set.target);
    const better = pl.feasible
      ? !global.feasible || pl.chosen.stats.items > global.chosen.stats.items
      : !global.feasible && pl.chosen.lower > global.chosen.lower + EPS;
    if (better) {
      ({ chosen, feasible } = pl);
      perLabel = true;
    }
  }
  const est = overall(chosen.stats, set);
  const humanShare = evidence.length > 0 ? 1 - chosen.stats.items / evidence.length : 1;
  const labelThresholds: Record<string, number | null> = {};
  if (perLabel) for (const [l, t] of chosen.thresholds) labelThresholds[l] = t;
  const threshold = global.chosen.thresholds.get('') ?? null;
  const who = reviewers > 1 ? `The majority of ${reviewers} people` : 'A person';

  let reason: string | null = null;
  if (evidence.length === 0) {
    reason = 'There are no recent scored items to judge the model by, so every item goes to people.';
    if (human < set.target - EPS) reason += ` ${who} is right about ${pct(human)} of the time, short of the ${pct(set.target)} target.`;
  } else if (!feasible) {
    reason = `${who} is right about ${pct(human)} of the time and the model cannot make up the difference: the accuracy that can be promised is at best ${pct(est.all.lower)}, short of the ${pct(set.target)} target.`;
  } else if (chosen.stats.items === 0) {
    reason = `The model cannot yet be shown to be accurate enough for the ${pct(set.target)} target (${known} of ${evidence.length} recent items have a known outcome), so every item goes to people.`;
  }
  return {
    feasible,
    reason,
    target: set.target,
    threshold,
    labelThresholds,
    humanShare,
    humanWork: humanShare * reviewers,
    reviewers,
    humanAccuracy: human,
    autoAccuracy: est.auto ? { ...est.auto, known: chosen.stats.known } : null,
    estimatedAccuracy: est.all,
    evidence: { items: evidence.length, known },
    consensus: null,
  };
}

export interface DriftOptions {
  /** Significance level of the one-sided test. */
  alpha?: number;
  /** Level of the reported bounds on the audited accuracy. */
  confidence?: number;
}

export interface DriftResult {
  /** True when the audits show, at level `alpha`, an accuracy below the promised one. */
  drifted: boolean;
  /** P(this many or fewer right | the promised accuracy): small means the promise broke. */
  pValue: number;
  /** Accuracy of the audited decisions, with one-sided bounds at `confidence`. */
  observed: Interval;
  promised: number;
  audited: number;
  reason: string;
}

/**
 * Compares audits of automatic decisions since the thresholds were set with the accuracy they
 * promised (pass the plan's `autoAccuracy.lower`: what was guaranteed, not what was hoped),
 * by an exact one-sided binomial test. Checking after every audit tests many times over; pass a
 * smaller alpha when checking often.
 */
export function driftCheck(audits: { correct: number; total: number }, promised: number, options: DriftOptions = {}): DriftResult {
  const { correct, total } = audits;
  if (!Number.isInteger(total) || total < 0 || !Number.isInteger(correct) || correct < 0 || correct > total) {
    throw new RangeError(`audits must be whole counts with 0 ≤ correct ≤ total, got ${correct} of ${total}`);
  }
  if (!(promised >= 0 && promised <= 1)) throw new RangeError(`promised must be in [0, 1], got ${promised}`);
  const alpha = options.alpha ?? 0.05;
  const z = zOneSided(options.confidence ?? 0.95);
  if (total === 0) {
    return { drifted: false, pValue: 1, observed: { estimate: Number.NaN, lower: 0, upper: 1 }, promised, audited: 0, reason: 'No automatic decision has been audited yet.' };
  }
  const pValue = binomialCdf(correct, total, promised);
  const observed = wilsonInterval(correct, total, z);
  const drifted = pValue < alpha;
  const found = `Audits found ${correct} of ${total} automatic decisions right (${pct(correct / total)})`;
  const reason = drifted
    ? `${found}, significantly below the ${pct(promised)} the thresholds promised (one-sided p = ${pValue.toPrecision(2)}): tighten the thresholds.`
    : `${found}, consistent with the ${pct(promised)} the thresholds promised (one-sided p = ${pValue.toPrecision(2)}).`;
  return { drifted, pValue, observed, promised, audited: total, reason };
}
