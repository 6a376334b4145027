import { z } from 'zod';
import { requirePerson, visibleWorkflows, type Principal } from '../../engine/principals.ts';
import { answer, claimMayGoBesideAnswer, claimTask, escalate, heartbeat, release, requireClaimableWorkflow, type AnswerResult, type ClaimedTask } from '../../engine/work.ts';
import type { Engine } from '../../engine/engine.ts';
import { EngineError } from '../../engine/errors.ts';
import { queueDepths } from '../../store/tasks.ts';
import { defineRoute } from '../route.ts';
import { decisionView, taskView } from '../views.ts';
import { outcomeBody } from './outcomeBody.ts';
import { inputFor } from '../../engine/privacy.ts';
import { blindRoute } from '../../engine/blind.ts';
import { getItem } from '../../store/items.ts';
import type { Prediction } from '../../core/types.ts';

const idParam = z.object({ id: z.uuid('must be a task id (a UUID)').describe('Task id') });
// tasks.assignment is a Postgres int: a larger number must be refused here, not overflow in SQL.
const assignment = z.number().int().min(1).max(2_147_483_647).describe('The assignment number the claim returned');
const leaseSeconds = z.number().int().min(5).max(3600).optional().describe('Lease length in seconds (default 300)');
const taskOut = z.looseObject({ id: z.string(), assignment: z.number().int(), leaseExpiresAt: z.string().nullable() });
const claimBody = z.object({ workflow: z.string().min(1).max(63).optional(), queue: z.string().min(1).max(63).optional(), leaseSeconds }).strict();

/** A claimed task as its reviewer sees it: the item with personal data masked, and in blind mode without the machine's suggestion. */
async function claimedView(engine: Engine, principal: Principal, { task, item }: ClaimedTask) {
  const wf = await engine.workflows.get(engine.db, item.workflow);
  const blind = wf.spec.blindMode;
  const { masked, ...input } = inputFor(principal, item);
  return {
    task: taskView(task),
    item: {
      id: item.id, workflow: item.workflow, ...input, masked, blind,
      prediction: blind ? null : item.prediction,
      route: blind ? blindRoute(item.route) : item.route,
      createdAt: item.created_at.toISOString(),
    },
  };
}

export const taskRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v1/tasks/claim',
    tag: 'tasks',
    summary: 'Claim the next task',
    description:
      'People only. Leases the best open task the reviewer may work (priority, then due time; skills must match; escalations only for leads) and returns it with its item, personal data masked. In a workflow with `blindMode` the machine\'s suggestion is left out (`item.blind` is true: prediction null, route without label and confidence). 204 when there is none.',
    body: claimBody,
    responses: { 200: { description: 'The claimed task and its item' }, 204: { description: 'No task is waiting' } },
    async handle({ engine, principal, body }) {
      const claimed = await claimTask(engine, principal, body);
      return claimed ? { status: 200, body: await claimedView(engine, principal, claimed) } : { status: 204 };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/tasks/{id}/heartbeat',
    tag: 'tasks',
    summary: 'Extend a lease',
    description: '409 when the lease is no longer yours (answered, expired and reclaimed, released).',
    params: idParam,
    body: z.object({ assignment, leaseSeconds }).strict(),
    responses: { 200: { description: 'The task with its new lease end', schema: taskOut } },
    async handle({ engine, principal, params, body }) {
      return { status: 200, body: taskView(await heartbeat(engine, principal, { taskId: params.id, ...body })) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/tasks/{id}/release',
    tag: 'tasks',
    summary: 'Release a task',
    description: 'Gives the task back to its queue unanswered (skip).',
    params: idParam,
    body: z.object({ assignment }).strict(),
    responses: { 200: { description: 'The task, open again', schema: taskOut } },
    async handle({ engine, principal, params, body }) {
      return { status: 200, body: taskView(await release(engine, principal, { taskId: params.id, assignment: body.assignment })) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/tasks/{id}/escalate',
    tag: 'tasks',
    summary: 'Escalate a task',
    description: 'Ends your assignment and puts an escalation task in the workflow\'s lead queue.',
    params: idParam,
    body: z.object({ assignment, reason: z.string().max(2000).optional() }).strict(),
    responses: { 200: { description: 'The escalated task and the new escalation task id' } },
    async handle({ engine, principal, params, body }) {
      const r = await escalate(engine, principal, { taskId: params.id, ...body });
      return { status: 200, body: { task: taskView(r.task), escalationTaskId: r.escalationId } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/tasks/{id}/answer',
    tag: 'tasks',
    summary: 'Answer a task',
    description:
      'Records the answer for your assignment and settles what it can: a decision, a consensus (or an escalation when reviewers disagree), an audit result. In a blind-mode workflow the answer carries `suggestion`, the machine\'s label and confidence, hidden until now. A second answer on the same assignment, or one on a lost lease, is refused with 409. With `next` (the body of `POST /v1/tasks/claim`), the next task is claimed as well and comes back as `next`, as a claim returns it, or null when none is waiting: one round trip per task instead of two. The claim runs beside the answer (after it, for a training or test answer), and never takes the task being answered; if the answer is refused, a task claimed beside it goes back to its queue (a `task.released` event). If the claim fails, the answer still stands: `next` is null and `nextError` says why.',
    params: idParam,
    body: outcomeBody
      .extend({
        assignment,
        note: z.string().max(5000).optional(),
        timeSpentMs: z.number().int().min(0).max(86_400_000).optional().describe('Time the reviewer spent, in milliseconds'),
        addLabel: z.boolean().optional().describe('For label workflows: the label is new; add it to the workflow (the model learns it)'),
        next: claimBody.optional().describe('Claim the next task after this answer, with these filters (as POST /v1/tasks/claim)'),
      })
      .strict(),
    responses: { 200: { description: 'The answered task, the decision if one was made, and the next task if `next` asked for one' } },
    async handle({ engine, principal, params, body }) {
      const { assignment: a, note, timeSpentMs, addLabel, next: nextFilter, ...outcome } = body;
      // A filter that names a workflow the caller may not work is refused before anything is recorded.
      if (nextFilter) requireClaimableWorkflow(principal, nextFilter.workflow);
      const beside = nextFilter && claimMayGoBesideAnswer(engine, params.id) ? claimNext(engine, principal, nextFilter) : null;
      let r: AnswerResult;
      try {
        r = await answer(engine, principal, { taskId: params.id, assignment: a, outcome, note, timeSpentMs, addLabel });
      } catch (err) {
        if (beside) await giveBack(engine, principal, (await beside).claimed);
        throw err;
      }
      const next = nextFilter ? await (beside ?? claimNext(engine, principal, nextFilter)) : null;
      const nextView = next && (await viewOfNext(engine, principal, next));
      const wf = await engine.workflows.get(engine.db, r.task.workflow);
      // Blind mode hid the machine's suggestion until now; once answered, the reviewer sees it beside their answer.
      const item = wf.spec.blindMode ? await getItem(engine.db, r.task.item_id) : null;
      const p = item?.prediction as Prediction | null | undefined;
      return {
        status: 200,
        body: {
          task: taskView(r.task), outcome: r.outcome, decision: r.decision ? decisionView(r.decision) : null, escalationTaskId: r.escalationId,
          // In training: the right answer and the guideline note; in the qualification test: progress and the result.
          ...(r.feedback ? { feedback: r.feedback } : {}),
          ...(item ? { suggestion: p ? { label: p.label, confidence: p.confidence, explanation: p.explanation } : null } : {}),
          ...(nextView ? { next: nextView.claimed, ...(nextView.error ? { nextError: nextView.error } : {}) } : {}),
        },
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/queues',
    tag: 'tasks',
    summary: 'List queue depths',
    description: 'Open and leased tasks per workflow and queue, with the oldest due time, for the workflows the caller works.',
    responses: { 200: { description: 'Queue depths' } },
    async handle({ engine, principal }) {
      requirePerson(principal);
      const rows = await queueDepths(engine.db, visibleWorkflows(principal));
      return {
        status: 200,
        body: { queues: rows.map((q) => ({ workflow: q.workflow, queue: q.queue, open: q.open, leased: q.leased, oldestDueAt: q.oldest_due_at?.toISOString() ?? null })) },
      };
    },
  }),
];

interface NextClaim {
  claimed: ClaimedTask | null;
  /** Why the claim failed; the answer stands all the same. */
  error: string | null;
}

const nextError = (err: unknown) => (err instanceof EngineError ? err.message : 'the next task could not be claimed now; claim it with POST /v1/tasks/claim');

/** The claim that follows an answer (`next`): its failure must not turn the recorded answer into an error. */
async function claimNext(engine: Engine, principal: Principal, filter: z.infer<typeof claimBody>): Promise<NextClaim> {
  try {
    return { claimed: await claimTask(engine, principal, filter), error: null };
  } catch (err) {
    return { claimed: null, error: nextError(err) };
  }
}

/** The next task as its reviewer sees it; one that cannot be shown now goes back to its queue, and nextError says why. */
async function viewOfNext(engine: Engine, principal: Principal, next: NextClaim) {
  if (!next.claimed) return { claimed: null, error: next.error };
  try {
    return { claimed: await claimedView(engine, principal, next.claimed), error: null };
  } catch (err) {
    await giveBack(engine, principal, next.claimed);
    return { claimed: null, error: nextError(err) };
  }
}

/**
 * A task claimed for `next` that the reviewer will not be told of (the answer beside it was
 * refused, or the task could not be shown) goes back to its queue at once, as a release does,
 * rather than sit leased to someone who never heard of it until the lease ends.
 */
async function giveBack(engine: Engine, principal: Principal, claimed: ClaimedTask | null): Promise<void> {
  if (!claimed) return;
  try {
    await release(engine, principal, { taskId: claimed.task.id, assignment: claimed.task.assignment });
  } catch {
    // The lease then ends by itself and the timekeeper reopens the task; what the caller needs is the answer's own outcome.
  }
}
