// A reviewer's work on tasks: claim, heartbeat, release, escalate, answer. Every change is
// guarded by the lease (owner + assignment), so a late or duplicate request can never act twice.
import type { Outcome } from '../core/types.ts';
import { newId } from '../store/ids.ts';
import type { Queryable } from '../store/db.ts';
import { insertEvents } from '../store/events.ts';
import { getTraceParent, type ItemRow } from '../store/items.ts';
import { closeLease, closeLeaseAnswered, extendLease, getTask, insertTask, type Lease, type TaskRow } from '../store/tasks.ts';
import type { DecisionRow } from '../store/decisions.ts';
import { settleAnswer } from './decide.ts';
import { inSpan, linksTo, markSpan } from './tracing.ts';
import type { Engine } from './engine.ts';
import { conflict, invalid, notFound } from './errors.ts';
import { parseOutcome, type RawOutcome } from './outcomes.ts';
import { actorName, isLead, mayAccess, requirePerson, visibleWorkflows, type Principal } from './principals.ts';
import { addWorkflowLabel } from '../store/workflows.ts';
import type { CompiledWorkflow } from './workflows.ts';
import { prepareReply, recordReply } from './replyAnswers.ts';
import { asReviewerSees, planClaim, settleGold, type GoldFeedback } from './gold.ts';
import type { TaskFacts } from './taskFacts.ts';

export interface ClaimInput {
  workflow?: string | undefined;
  queue?: string | undefined;
  leaseSeconds?: number | undefined;
}

export interface ClaimedTask {
  task: TaskRow;
  item: ItemRow;
}

/**
 * A claim naming a workflow the caller does not work is refused as if it did not exist: here, and
 * for an answer's `next` before the answer records anything (api/routes/tasks.ts).
 */
export function requireClaimableWorkflow(principal: Principal, workflow: string | undefined): void {
  if (workflow !== undefined && !mayAccess(principal, workflow)) throw notFound(`no workflow named "${workflow}" that you work on`);
}

/**
 * Whether an answer's `next` claim may start beside the answer instead of after it, so that the
 * reviewer waits for the longer of the two, not both. What a claim finds does not depend on the
 * answer (the answered task is leased, so no claim can take it, and a vote's item stays excluded
 * for its voter), except after a gold answer: that moves the reviewer's training or qualification
 * on, and the claim's gold plan (engine/gold.ts) counts it. A task this process does not remember
 * may be gold as far as it knows, so its claim waits for the answer.
 */
export function claimMayGoBesideAnswer(engine: Engine, taskId: string): boolean {
  const facts = engine.taskFacts.get(taskId);
  return facts !== undefined && facts.kind !== 'gold';
}

export async function claimTask(engine: Engine, principal: Principal, input: ClaimInput): Promise<ClaimedTask | null> {
  const reviewer = requirePerson(principal);
  requireClaimableWorkflow(principal, input.workflow);
  if (input.workflow !== undefined) await engine.workflows.get(engine.db, input.workflow);
  const filter = {
    reviewerId: reviewer.id,
    queue: input.queue ?? null,
    skills: reviewer.skills,
    mayTakeEscalations: isLead(principal),
    leaseSeconds: input.leaseSeconds ?? engine.leaseSeconds,
  };
  let workflows = visibleWorkflows(principal);
  if (reviewer.role === 'reviewer') {
    const plan = await planClaim(engine, reviewer, input.workflow ?? null, filter);
    // A gold task was remembered as what it is (serveGold); the reviewer sees it as review work.
    if (plan.kind === 'gold') return plan.claimed;
    if (plan.workflows.length === 0) return null;
    workflows = plan.workflows;
  }
  const claimed = await engine.claims.claim({ ...filter, workflows, workflow: input.workflow ?? null });
  if (claimed) engine.taskFacts.remember(claimed.task);
  return claimed;
}

export interface LeaseInput {
  taskId: string;
  assignment: number;
}

export async function heartbeat(engine: Engine, principal: Principal, input: LeaseInput & { leaseSeconds?: number | undefined }): Promise<TaskRow> {
  const lease = await leaseOf(engine, principal, input);
  const task = await extendLease(engine.db, lease, input.leaseSeconds ?? engine.leaseSeconds);
  return asReviewerSees(task ?? (await explainLostLease(engine.db, lease)));
}

export async function release(engine: Engine, principal: Principal, input: LeaseInput): Promise<TaskRow> {
  const lease = await leaseOf(engine, principal, input);
  return engine.db.transaction(async (tx) => {
    // A gold task was made for this reviewer alone: given back, it ends.
    const task = await closeLease(tx, lease, lease.task.kind === 'gold' ? 'cancelled' : 'open');
    if (!task) return explainLostLease(tx, lease);
    await insertEvents(tx, [{ type: 'task.released', workflow: task.workflow, itemId: task.item_id, taskId: task.id, payload: { reviewer: lease.reviewerId } }]);
    return asReviewerSees(task);
  });
}

export async function escalate(engine: Engine, principal: Principal, input: LeaseInput & { reason?: string | undefined }): Promise<{ task: TaskRow; escalationId: string }> {
  const lease = await leaseOf(engine, principal, input);
  if (lease.task.kind === 'escalation') throw invalid('this task is an escalation already; answer it', [{ path: 'taskId', message: 'is an escalation' }]);
  return engine.db.transaction(async (tx) => {
    const task = await closeLease(tx, lease, 'escalated');
    if (!task) return explainLostLease(tx, lease);
    const wf = await engine.workflows.get(tx, task.workflow);
    const escalationId = newId();
    const reason = input.reason?.trim() || 'escalated by a reviewer';
    if (task.kind === 'gold') {
      // Gold has a known answer: no lead needs to rule. The reviewer is not told it was gold.
      await insertEvents(tx, [{ type: 'task.escalated', workflow: task.workflow, itemId: task.item_id, taskId: task.id, payload: { reviewer: lease.reviewerId, reason, gold: true } }]);
      return { task: asReviewerSees(task), escalationId };
    }
    await insertTask(tx, task.item_id, task.workflow, {
      id: escalationId, queue: wf.spec.queues.escalation, kind: 'escalation', priority: task.priority, dueInSeconds: wf.spec.slaSeconds, skills: [], reason,
    });
    await insertEvents(tx, [
      { type: 'task.escalated', workflow: task.workflow, itemId: task.item_id, taskId: task.id, payload: { reviewer: lease.reviewerId, reason, escalationTask: escalationId } },
      { type: 'task.created', workflow: task.workflow, itemId: task.item_id, taskId: escalationId, payload: { kind: 'escalation', queue: wf.spec.queues.escalation } },
    ]);
    return { task, escalationId };
  });
}

export interface AnswerInput extends LeaseInput {
  outcome: RawOutcome;
  note?: string | undefined;
  timeSpentMs?: number | undefined;
  /** The label is new: add it to the workflow's labels (the model learns it from this answer on). */
  addLabel?: boolean | undefined;
}

export interface AnswerResult {
  task: TaskRow;
  outcome: Outcome;
  /** The decision this answer made, if it made one (a vote may leave the item waiting for others). */
  decision: DecisionRow | null;
  /** Set when the answer led to an escalation (consensus disagreement). */
  escalationId: string | null;
  /** In training or the qualification test: how the answer went (see engine/gold.ts). */
  feedback: GoldFeedback | null;
}

export function answer(engine: Engine, principal: Principal, input: AnswerInput): Promise<AnswerResult> {
  return inSpan('tandem.answer', { attributes: { 'tandem.task.id': input.taskId } }, async (span) => {
    const result = await answerTraced(engine, principal, input);
    if (span.isRecording()) {
      const { task, decision } = result;
      span.setAttributes({ 'tandem.workflow': task.workflow, 'tandem.item.id': task.item_id, 'tandem.task.kind': task.kind, 'tandem.decided': decision !== null });
      if (decision) {
        // The submit may have been traced by another process: its trace context is in the item.
        const links = linksTo(await getTraceParent(engine.db, task.item_id), { 'tandem.link': 'submit' });
        markSpan('tandem.decision', {
          parent: span,
          links,
          attributes: { 'tandem.workflow': task.workflow, 'tandem.item.id': task.item_id, 'tandem.decision.source': decision.source, 'tandem.decision.version': decision.version },
        });
      }
    }
    return result;
  });
}

async function answerTraced(engine: Engine, principal: Principal, input: AnswerInput): Promise<AnswerResult> {
  const lease = await leaseOf(engine, principal, input);
  const current = lease.task;
  let wf = await engine.workflows.get(engine.db, current.workflow);
  const label = input.outcome.label;
  if (input.addLabel && label !== undefined && !wf.labels.includes(label)) {
    // Only the lease holder may change the workflow's labels: a late answer changes nothing.
    const now = await getTask(engine.db, lease.taskId);
    if (now?.status !== 'leased' || now.lease_owner !== lease.reviewerId || now.assignment !== lease.assignment) await explainLostLease(engine.db, lease);
    if (wf.spec.answerType !== 'label') throw invalid('only label workflows take new labels', [{ path: 'addLabel', message: 'is only for answerType "label"' }]);
    wf = await addLabel(engine, wf.spec.name, label, actorName(principal));
  }
  const parsed = parseOutcome(wf, input.outcome);
  const reply = wf.spec.answerType === 'reply' ? await prepareReply(engine.db, wf, current.item_id, parsed) : null;
  const outcome = reply?.outcome ?? parsed;
  const record = { outcome, note: input.note ?? null, timeSpentMs: input.timeSpentMs ?? null, blind: wf.spec.blindMode };
  if (current.kind === 'review' && reply === null) {
    const settled = await engine.reviewAnswers.settle({ lease, answer: record, outcome, actor: actorName(principal) });
    if (settled) return { task: settled.task, outcome, decision: settled.decision, escalationId: null, feedback: null };
  }
  return engine.db.transaction(async (tx) => {
    const answered = await closeLeaseAnswered(tx, lease, record);
    if (!answered) return explainLostLease(tx, lease);
    const { task, item } = answered;
    if (task.kind === 'gold') {
      // Scored at once; no decision, no training example.
      const scored = await settleGold(tx, wf, task, outcome, requirePerson(principal));
      // `task.answered` is written by closeLeaseAnswered; these follow it.
      await insertEvents(tx, scored.events);
      return { task: asReviewerSees(task), outcome, decision: null, escalationId: null, feedback: scored.feedback };
    }
    const settled = await settleAnswer(tx, wf, task, item, outcome, principal);
    const replied = reply ? await recordReply(tx, wf, task, reply, lease.reviewerId) : [];
    await insertEvents(tx, [...settled.events, ...replied]);
    if (reply) engine.drafts.forget(wf.spec.name);
    return { task, outcome, decision: settled.decision, escalationId: settled.escalationId, feedback: null };
  });
}

/**
 * The caller's lease on the task as they name it, with what never changes about the task (from
 * the claim through this process, or read now). Whether the lease still holds is for the
 * lease-guarded write to find out.
 */
async function leaseOf(engine: Engine, principal: Principal, input: LeaseInput): Promise<Lease & { task: TaskFacts }> {
  const reviewer = requirePerson(principal);
  let task: TaskFacts | null | undefined = engine.taskFacts.get(input.taskId);
  if (!task) {
    task = await getTask(engine.db, input.taskId);
    if (task) engine.taskFacts.remember(task);
  }
  if (!task || !mayAccess(principal, task.workflow)) throw notFound(`no task ${input.taskId}`);
  return { taskId: task.id, reviewerId: reviewer.id, assignment: input.assignment, task };
}

/** Says precisely why a lease-guarded change found nothing to change. Always throws. */
async function explainLostLease(db: Queryable, lease: Lease): Promise<never> {
  const task = await getTask(db, lease.taskId);
  if (!task) throw notFound(`no task ${lease.taskId}`);
  if (task.assignment !== lease.assignment) {
    throw conflict(`assignment ${lease.assignment} is stale: the task was claimed again (assignment ${task.assignment})`);
  }
  if (task.lease_owner !== lease.reviewerId && task.status === 'leased') throw conflict('the task is leased to someone else');
  if (task.status === 'done') throw conflict('this assignment was answered already');
  if (task.status === 'escalated') throw conflict('this assignment was escalated already');
  if (task.status === 'cancelled') throw conflict('the task was cancelled');
  throw conflict('the lease has ended (expired or released); claim the task again');
}

/** A reviewer met a kind of item no label fits: the label joins the workflow, with an event. */
async function addLabel(engine: Engine, workflow: string, label: string, actor: string): Promise<CompiledWorkflow> {
  if (!/^\S(.{0,98}\S)?$/.test(label)) throw invalid('a new label is 1 to 100 characters without surrounding spaces', [{ path: 'label', message: 'is not a usable label' }]);
  await engine.db.transaction(async (tx) => {
    const version = await addWorkflowLabel(tx, workflow, label);
    if (version !== null) await insertEvents(tx, [{ type: 'workflow.label_added', workflow, payload: { label, actor, version } }]);
  });
  engine.workflows.forget(workflow);
  return engine.workflows.get(engine.db, workflow);
}
