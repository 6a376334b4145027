// Gold: items whose right answer a lead knows. They train a reviewer new to a workflow (with the
// right answer and the guideline note after each answer), then test them (a pass mark), and,
// mixed unannounced into the queue at the workflow's gold rate, keep measuring them; a reviewer
// whose running accuracy falls below the floor goes back to training and the leads are told (a
// `reviewer.demoted` event). An answer on gold is scored at once and never makes a decision or
// a training example.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonicalJson.ts';
import { sameOutcome } from '../core/consensus.ts';
import { decideRoute } from '../core/policy.ts';
import type { Outcome, Route } from '../core/types.ts';
import type { QualitySpec } from '../core/workflow.ts';
import type { Queryable } from '../store/db.ts';
import type { NewEvent } from '../store/events.ts';
import {
  ensureStage, getGoldAssignment, getGoldItem, insertGoldAssignment, insertGoldScore, listGoldItems, listStages, lockStage,
  pickGoldItem, retireGoldItem, runningLiveTally, setStage, tallyAttempt, upsertGoldItem,
  type GoldItemRow, type GoldStage, type Stage, type StageRow,
} from '../store/gold.ts';
import { newId } from '../store/ids.ts';
import { getItem, insertRoutedItem, type ItemRow } from '../store/items.ts';
import type { ReviewerRow } from '../store/people.ts';
import { hasClaimableTask, insertLeasedTask, type ClaimFilter, type TaskRow } from '../store/tasks.ts';
import type { Engine } from './engine.ts';
import { conflict, EngineError, invalid, notFound, type FieldProblem } from './errors.ts';
import { parseOutcome, type RawOutcome } from './outcomes.ts';
import { actorName, requireLead, type Principal } from './principals.ts';
import type { CompiledWorkflow } from './workflows.ts';

export function isGated(q: QualitySpec): boolean {
  return q.trainingItems > 0 || q.qualification.items > 0;
}

function initialStage(q: QualitySpec): Stage {
  return q.trainingItems > 0 ? 'training' : q.qualification.items > 0 ? 'qualifying' : 'qualified';
}

/** A gold answer must be one a reviewer can give and that can be compared exactly. */
function goldOutcome(wf: CompiledWorkflow, raw: GoldInput): Outcome {
  if (wf.spec.answerType === 'text' || wf.spec.answerType === 'reply') throw invalid('free-text and reply workflows have no gold: there is no single right reply to score against');
  if (wf.spec.answerType === 'approve' && raw.verdict === 'edit') {
    throw invalid('a gold answer is approve or reject; an edit cannot be scored exactly', [{ path: 'verdict', message: 'must be approve or reject' }]);
  }
  return parseOutcome(wf, { label: raw.label, verdict: raw.verdict });
}

// --- leads: marking and importing gold --------------------------------------------------------------

/** A gold answer: a label, or a verdict for approve workflows, and the guideline note. */
export interface GoldInput {
  label?: string | undefined;
  verdict?: RawOutcome['verdict'];
  note?: string | undefined;
}

export async function markGold(engine: Engine, principal: Principal, wf: CompiledWorkflow, itemId: string, input: GoldInput): Promise<GoldItemRow> {
  requireLead(principal, wf.spec.name);
  const outcome = goldOutcome(wf, input);
  const item = await getItem(engine.db, itemId);
  if (!item || item.workflow !== wf.spec.name) throw notFound(`no item ${itemId} in workflow "${wf.spec.name}"`);
  return upsertGoldItem(engine.db, { itemId, workflow: wf.spec.name, outcome, note: input.note ?? '', source: 'marked', createdBy: actorName(principal) });
}

export interface GoldImport extends GoldInput {
  /** The item's text (not an answer: gold has no free-text answers). */
  text?: string | null | undefined;
  fields?: Record<string, unknown> | undefined;
  metadata?: Record<string, unknown> | undefined;
}

/**
 * Gold made for the purpose: each becomes an item (never live work, left out of the workflow's
 * counts) with the machine's prediction, so that served unannounced it looks like review work.
 * All or nothing: any bad row refuses the lot, naming it.
 */
export async function importGold(engine: Engine, principal: Principal, wf: CompiledWorkflow, rows: readonly GoldImport[]): Promise<GoldItemRow[]> {
  requireLead(principal, wf.spec.name);
  const problems: FieldProblem[] = [];
  const outcomes = rows.map((r, i) => {
    const at = (p: FieldProblem): FieldProblem => ({ path: `items.${i}.${p.path}`, message: p.message });
    if ((r.text ?? null) === null && Object.keys(r.fields ?? {}).length === 0) problems.push({ path: `items.${i}.text`, message: 'give text, fields, or both' });
    problems.push(...wf.checkFields(r.fields ?? {}).map(at));
    try {
      return goldOutcome(wf, { label: r.label, verdict: r.verdict });
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      problems.push(...(err.problems.length > 0 ? err.problems.map(at) : [{ path: `items.${i}`, message: err.message }]));
      return null;
    }
  });
  if (problems.length > 0) throw invalid(`${new Set(problems.map((p) => p.path.split('.')[1])).size} of ${rows.length} gold items cannot be imported`, problems.slice(0, 50));
  const actor = actorName(principal);
  const out: GoldItemRow[] = [];
  for (const [i, r] of rows.entries()) {
    const text = r.text ?? null;
    const fields = r.fields ?? {};
    const metadata = r.metadata ?? {};
    const itemId = newId();
    const prediction = await engine.models.predict(engine.db, wf, { workflow: wf.spec.name, text, fields, metadata, labels: wf.labels });
    const route = asReviewRoute(
      decideRoute({ policy: wf.spec.policy, rules: wf.rules, labels: wf.labels, prediction, fields: text === null ? fields : { text, ...fields }, metadata, itemKey: itemId }),
    );
    const requestHash = createHash('sha256').update(canonicalJson({ text, fields, metadata })).digest('hex');
    await engine.db.transaction(async (tx) => {
      await insertRoutedItem(tx, { id: itemId, workflow: wf.spec.name, idempotencyKey: null, requestHash, text, fields, metadata, prediction, route, status: 'pending' }, null, [], []);
      out.push(await upsertGoldItem(tx, { itemId, workflow: wf.spec.name, outcome: outcomes[i]!, note: r.note ?? '', source: 'imported', createdBy: actor }));
    });
  }
  return out;
}

/** Imported gold is served as review work, so its route must read like one. */
function asReviewRoute(route: Route): Route {
  if (route.route !== 'auto') return route;
  return { ...route, route: 'review', audit: false, reasons: route.reasons.filter((r) => r.code !== 'audit_sample') };
}

export async function listGold(engine: Engine, principal: Principal, wf: CompiledWorkflow, includeRetired: boolean): Promise<GoldItemRow[]> {
  requireLead(principal, wf.spec.name);
  return listGoldItems(engine.db, wf.spec.name, includeRetired);
}

export async function retireGold(engine: Engine, principal: Principal, wf: CompiledWorkflow, itemId: string): Promise<void> {
  requireLead(principal, wf.spec.name);
  if (!(await retireGoldItem(engine.db, wf.spec.name, itemId))) throw notFound(`no active gold item ${itemId} in workflow "${wf.spec.name}"`);
}

// --- claims: training first, then live work with gold mixed in ---------------------------------------

export interface GoldClaim {
  task: TaskRow;
  item: ItemRow;
}

export type ClaimPlan = { kind: 'gold'; claimed: GoldClaim } | { kind: 'live'; workflows: string[] };

/**
 * For a reviewer (leads and admins are neither trained nor measured): on a workflow that asks
 * for training or qualification and that they have not passed, their next task is gold for that;
 * their live work comes only from workflows they are qualified on; and on a workflow with a gold
 * rate, that share of claims (when the queue has work, so gold never shows up in an empty
 * queue) is a gold item they have never seen, looking exactly like review work.
 */
export async function planClaim(engine: Engine, reviewer: ReviewerRow, named: string | null, filter: Omit<ClaimFilter, 'workflows' | 'workflow'>): Promise<ClaimPlan> {
  const names = named !== null ? [named] : reviewer.workflows;
  const wfs = await Promise.all(names.map((n) => engine.workflows.get(engine.db, n)));
  const gated = wfs.filter((wf) => isGated(wf.spec.quality));
  const stages = new Map<string, StageRow>();
  if (gated.length > 0) for (const s of await listStages(engine.db, reviewer.id, gated.map((wf) => wf.spec.name))) stages.set(s.workflow, s);

  const live: CompiledWorkflow[] = [];
  for (const wf of wfs) {
    const name = wf.spec.name;
    if (!isGated(wf.spec.quality)) {
      live.push(wf);
      continue;
    }
    const stage = stages.get(name) ?? (await ensureStage(engine.db, reviewer.id, name, initialStage(wf.spec.quality)));
    stages.set(name, stage);
    if (stage.stage === 'qualified') {
      live.push(wf);
      continue;
    }
    const claimed = await serveGold(engine, wf, reviewer.id, stage.stage, stage.attempt, filter.leaseSeconds);
    if (claimed) return { kind: 'gold', claimed };
    if (named !== null) {
      throw conflict(`you are in ${stage.stage === 'training' ? 'training' : 'the qualification test'} on "${name}", but it has no gold items yet; a lead must add some (POST /v1/workflows/${name}/gold)`);
    }
  }

  for (const wf of live) {
    const rate = wf.spec.quality.goldRate;
    if (rate <= 0 || Math.random() >= rate) continue;
    if (!(await hasClaimableTask(engine.db, { ...filter, workflows: [wf.spec.name], workflow: wf.spec.name }))) continue;
    const claimed = await serveGold(engine, wf, reviewer.id, 'live', stages.get(wf.spec.name)?.attempt ?? 1, filter.leaseSeconds);
    if (claimed) return { kind: 'gold', claimed };
  }
  return { kind: 'live', workflows: live.map((wf) => wf.spec.name) };
}

async function serveGold(engine: Engine, wf: CompiledWorkflow, reviewerId: string, stage: GoldStage, attempt: number, leaseSeconds: number): Promise<GoldClaim | null> {
  const name = wf.spec.name;
  const itemId = await pickGoldItem(engine.db, name, reviewerId, stage === 'live');
  if (itemId === null) return null;
  let reason = 'needs a person';
  if (stage !== 'live') {
    const done = (await tallyAttempt(engine.db, reviewerId, name, stage, attempt)).answered;
    reason = stage === 'training'
      ? `training ${done + 1} of ${wf.spec.quality.trainingItems}: the right answer and the guideline note follow your answer`
      : `qualification test ${done + 1} of ${wf.spec.quality.qualification.items}`;
  }
  const task = await engine.db.transaction(async (tx) => {
    const t = await insertLeasedTask(tx, {
      id: newId(), itemId, workflow: name, queue: wf.spec.queues.review, kind: 'gold', dueInSeconds: wf.spec.slaSeconds, reason, reviewerId, leaseSeconds,
    });
    await insertGoldAssignment(tx, { taskId: t.id, workflow: name, reviewerId, stage, attempt });
    return t;
  });
  engine.taskFacts.remember(task);
  const item = await getItem(engine.db, itemId);
  if (!item) throw new Error(`gold item ${itemId} is missing`);
  return { task: asReviewerSees(task), item };
}

/** A gold task as a reviewer sees it: review work like any other. */
export function asReviewerSees(task: TaskRow): TaskRow {
  return task.kind === 'gold' ? { ...task, kind: 'review' } : task;
}

// --- answers on gold ---------------------------------------------------------------------------------

/** What a reviewer in training or in the qualification test learns from an answer. */
export interface GoldFeedback {
  stage: 'training' | 'qualifying';
  /** Training only: whether the answer was right, the right answer, and the guideline note. */
  correct?: boolean;
  expected?: Outcome;
  note?: string;
  /** Gold answers in this stage so far, of how many it has. */
  progress: { answered: number; of: number };
  /** The stage this answer moved the reviewer to, if it ended one. */
  next?: Stage;
  /** The qualification test's result, when this answer ended it. */
  result?: { passed: boolean; score: number; passMark: number };
}

export interface GoldSettled {
  /** Null for unannounced gold in live work: the reviewer is told nothing. */
  feedback: GoldFeedback | null;
  events: NewEvent[];
}

/** Scores an answer on a gold task and moves the reviewer through training, the test, or back. Runs in the answer's transaction. */
export async function settleGold(tx: Queryable, wf: CompiledWorkflow, task: TaskRow, outcome: Outcome, reviewer: ReviewerRow): Promise<GoldSettled> {
  const name = wf.spec.name;
  const q = wf.spec.quality;
  const gold = await getGoldItem(tx, task.item_id);
  const assignment = await getGoldAssignment(tx, task.id);
  if (!gold || !assignment) throw new Error(`gold task ${task.id} has no gold item or assignment`);
  const expected = gold.outcome as Outcome;
  const correct = sameOutcome(expected, outcome);
  await insertGoldScore(tx, { workflow: name, reviewerId: reviewer.id, itemId: task.item_id, taskId: task.id, stage: assignment.stage, attempt: assignment.attempt, correct, expected, given: outcome });
  const events: NewEvent[] = [
    { type: 'gold.scored', workflow: name, itemId: task.item_id, taskId: task.id, payload: { reviewer: reviewer.id, stage: assignment.stage, attempt: assignment.attempt, correct } },
  ];
  const stage = await lockStage(tx, reviewer.id, name);
  const tally = await tallyAttempt(tx, reviewer.id, name, assignment.stage, assignment.attempt);
  // An answer from an earlier stage or attempt (a lease held across a demotion) is scored but moves nothing.
  const current = stage !== null && stage.attempt === assignment.attempt && (assignment.stage === 'live' ? stage.stage === 'qualified' : stage.stage === assignment.stage);
  const who = { reviewer: reviewer.id, email: reviewer.email };

  if (assignment.stage === 'training') {
    const feedback: GoldFeedback = { stage: 'training', correct, expected, note: gold.note, progress: { answered: tally.answered, of: q.trainingItems } };
    if (current && tally.answered >= q.trainingItems) {
      feedback.next = q.qualification.items > 0 ? 'qualifying' : 'qualified';
      await setStage(tx, reviewer.id, name, feedback.next);
      events.push({ type: feedback.next === 'qualified' ? 'reviewer.qualified' : 'reviewer.trained', workflow: name, payload: { ...who, attempt: assignment.attempt, trainingAccuracy: tally.correct / tally.answered } });
    }
    return { feedback, events };
  }

  if (assignment.stage === 'qualifying') {
    const feedback: GoldFeedback = { stage: 'qualifying', progress: { answered: tally.answered, of: q.qualification.items } };
    if (current && tally.answered >= q.qualification.items) {
      const score = tally.correct / tally.answered;
      const passed = score >= q.qualification.passMark;
      feedback.result = { passed, score, passMark: q.qualification.passMark };
      feedback.next = passed ? 'qualified' : q.trainingItems > 0 ? 'training' : 'qualifying';
      await setStage(tx, reviewer.id, name, feedback.next, { newAttempt: !passed });
      events.push({ type: passed ? 'reviewer.qualified' : 'reviewer.failed_qualification', workflow: name, payload: { ...who, attempt: assignment.attempt, score, passMark: q.qualification.passMark } });
    }
    return { feedback, events };
  }

  if (current && q.accuracyFloor > 0 && isGated(q)) {
    const running = await runningLiveTally(tx, reviewer.id, name, assignment.attempt, q.accuracyWindow);
    const accuracy = running.correct / running.answered;
    if (running.answered >= q.minGoldAnswers && accuracy < q.accuracyFloor) {
      await setStage(tx, reviewer.id, name, initialStage(q), { newAttempt: true, demoted: true });
      events.push({
        type: 'reviewer.demoted',
        workflow: name,
        payload: { ...who, accuracy, floor: q.accuracyFloor, answers: running.answered, window: q.accuracyWindow, attempt: assignment.attempt, backTo: initialStage(q) },
      });
    }
  }
  return { feedback: null, events };
}
