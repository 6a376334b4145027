// What an answer settles: a person's decision, a consensus (or its failure, which escalates), a
// lead's ruling on an escalation, or an audit that confirms or overturns the machine. Runs inside
// the answer's transaction, with the item locked, so decisions on one item happen one at a time.
import { estimatedVoteWeight, sameOutcome, settleConsensus, settleWeightedConsensus, voteWeight, type Consensus } from '../core/consensus.ts';
import type { Outcome } from '../core/types.ts';
import { listVoteAnswers, type AnswerRow } from '../store/answers.ts';
import { goldTalliesOf } from '../store/gold.ts';
import { estimatesOf } from '../store/reviewerEstimates.ts';
import type { Queryable } from '../store/db.ts';
import { appendDecision, latestDecision, type DecisionRow, type DecisionSource, type NewDecision } from '../store/decisions.ts';
import { insertEvents, type NewEvent } from '../store/events.ts';
import { getTraceParent, lockItem, type ItemRow } from '../store/items.ts';
import { inSpan, linksTo } from './tracing.ts';
import { newId } from '../store/ids.ts';
import { upsertDecisionExample, type DecisionExample } from '../store/examples.ts';
import { cancelOpenTasks, countVoteTasks, insertTask, type TaskRow } from '../store/tasks.ts';
import { conflict, notFound } from './errors.ts';
import { actorName, requireLead, type Principal } from './principals.ts';
import type { CompiledWorkflow } from './workflows.ts';

export interface Settled {
  decision: DecisionRow | null;
  escalationId: string | null;
  events: NewEvent[];
}

/** `item` is the task's item, locked by the caller in this transaction (store/tasks.ts closeLeaseAnswered). */
export async function settleAnswer(tx: Queryable, wf: CompiledWorkflow, task: TaskRow, item: ItemRow, outcome: Outcome, principal: Principal): Promise<Settled> {
  const actor = actorName(principal);
  // The decision's event is written with it (store/decisions.ts), so `events` holds only what follows it.
  const decide = async (source: DecisionSource, o: Outcome, reason: string): Promise<Settled> => {
    const decision = await appendDecision(tx, decisionOf(wf, item, source, o, actor, reason));
    return { decision, escalationId: null, events: [] };
  };

  switch (task.kind) {
    case 'gold':
      throw new Error('an answer on gold is scored (engine/gold.ts), never settled into a decision');
    case 'review':
      return decide('human', outcome, reviewReason);
    case 'escalation':
      await cancelOpenTasks(tx, item.id, task.id);
      return decide('lead', outcome, task.reason ?? 'escalation settled by a lead');
    case 'audit': {
      const machine = await latestDecision(tx, item.id);
      if (machine && sameOutcome(machine.outcome as Outcome, outcome)) {
        // A confirmed audit is a human-verified label too: without it the examples would hold
        // only the machine's audited mistakes, and both training and the accuracy evidence
        // drawn from the examples would think the machine worse than it is.
        await learnFrom(tx, wf, item, outcome);
        return { decision: null, escalationId: null, events: [{ type: 'audit.confirmed', workflow: wf.spec.name, itemId: item.id, taskId: task.id, payload: {} }] };
      }
      const settled = await decide('human', outcome, 'an audit overturned the previous decision');
      settled.events.push({ type: 'audit.overturned', workflow: wf.spec.name, itemId: item.id, taskId: task.id, payload: { previous: machine?.outcome ?? null } });
      return settled;
    }
    case 'vote': {
      const answers = await listVoteAnswers(tx, item.id);
      if (answers.filter((a) => a.reviewer_id === task.lease_owner).length > 1) {
        throw conflict('you have voted on this item already; a consensus needs distinct reviewers');
      }
      // As many votes as the item was given when routed (a target-accuracy plan may ask for more than the spec).
      const needed = await countVoteTasks(tx, item.id);
      const weighting = wf.spec.consensus.rule === 'majority' ? wf.spec.consensus.weighting : 'equal';
      const { result, weightedBy } =
        weighting === 'gold'
          ? { result: await settleByGold(tx, wf, answers, needed), weightedBy: 'gold accuracy' }
          : weighting === 'estimated'
            ? await settleByEstimates(tx, wf, answers, needed)
            : { result: settleConsensus(answers.map((a) => a.outcome as Outcome), needed, wf.spec.consensus.rule), weightedBy: null };
      if (result.status === 'pending') return { decision: null, escalationId: null, events: [] };
      if (result.status === 'agreed') {
        return decide('consensus', result.outcome, `${result.votes} of ${answers.length} reviewers agreed (${wf.spec.consensus.rule}${weightedBy ? `, weighted by ${weightedBy}` : ''})`);
      }
      const escalationId = newId();
      await insertTask(tx, item.id, wf.spec.name, {
        id: escalationId, queue: wf.spec.queues.escalation, kind: 'escalation', priority: task.priority, dueInSeconds: wf.spec.slaSeconds, skills: [],
        reason: `reviewers disagreed (${wf.spec.consensus.rule} needed)`,
      });
      return {
        decision: null,
        escalationId,
        events: [
          { type: 'consensus.disagreed', workflow: wf.spec.name, itemId: item.id, payload: { tally: result.tally } },
          { type: 'task.created', workflow: wf.spec.name, itemId: item.id, taskId: escalationId, payload: { kind: 'escalation', queue: wf.spec.queues.escalation } },
        ],
      };
    }
  }
}

/** A review answer is a person's decision, for this reason (here and in store/reviewSets.ts). */
const reviewReason = 'answered by a reviewer';

/** What a review answer's decision is, for the set statement (store/reviewSets.ts) that writes it as settleReviews does. */
export function reviewDecisionOf(outcome: Outcome, actor: string): { actor: string; reason: string; exampleLabel: string | null } {
  return { actor, reason: reviewReason, exampleLabel: exampleLabelOf(outcome) };
}

/** A person's decision on an answer, written with its event and its example. */
function decisionOf(wf: CompiledWorkflow, item: ItemRow, source: DecisionSource, outcome: Outcome, actor: string, reason: string): NewDecision {
  return { itemId: item.id, source, outcome, actor, reason, event: true, example: exampleOf(wf, item, outcome) };
}

/**
 * A majority of weight rather than of heads: each vote weighs by its reviewer's accuracy on gold
 * (one query for the voters). settleByEstimates uses answers without gold too.
 */
async function settleByGold(tx: Queryable, wf: CompiledWorkflow, answers: AnswerRow[], needed: number): Promise<Consensus> {
  const tallies = await goldTalliesOf(tx, wf.spec.name, answers.map((a) => a.reviewer_id));
  const k = Math.max(2, wf.labels.length);
  return settleWeightedConsensus(
    answers.map((a) => {
      const t = tallies.get(a.reviewer_id) ?? { answered: 0, correct: 0 };
      return { outcome: a.outcome as Outcome, weight: voteWeight(t.correct, t.answered, k) };
    }),
    needed,
    wf.spec.consensus.rule,
  );
}

/**
 * Each vote weighs by its reviewer's confusion matrix as Dawid–Skene last estimated it (fitted in
 * the background, engine/reviewerEstimates.ts; one query here). A reviewer the fit has not seen
 * counts as the fit's average reviewer. Before the first fit, or when an answer names a label the
 * fit did not know (the label set changed since), the votes count equally.
 */
async function settleByEstimates(tx: Queryable, wf: CompiledWorkflow, answers: AnswerRow[], needed: number): Promise<{ result: Consensus; weightedBy: string | null }> {
  const rule = wf.spec.consensus.rule;
  const equal = () => ({ result: settleConsensus(answers.map((a) => a.outcome as Outcome), needed, rule), weightedBy: null });
  const estimates = await estimatesOf(tx, wf.spec.name, answers.map((a) => a.reviewer_id));
  if (!estimates) return equal();
  const index = new Map(estimates.labels.map((l, i) => [l, i]));
  const votes: { outcome: Outcome; weight: number }[] = [];
  for (const a of answers) {
    const o = a.outcome as Outcome;
    const at = index.get(o.type === 'label' ? o.label : o.type === 'approve' ? o.verdict : '');
    if (at === undefined) return equal();
    votes.push({ outcome: o, weight: estimatedVoteWeight(estimates.confusion.get(a.reviewer_id) ?? estimates.average, at) });
  }
  return { result: settleWeightedConsensus(votes, needed, rule), weightedBy: `reviewer estimates of ${estimates.fittedAt.toISOString()}` };
}

/** A lead's correction: a new decision version that supersedes the current one; open work is cancelled. */
export async function correctDecision(
  db: { transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> },
  wf: CompiledWorkflow,
  principal: Principal,
  itemId: string,
  outcome: Outcome,
  reason: string,
): Promise<DecisionRow> {
  requireLead(principal, wf.spec.name);
  const attributes = { 'tandem.workflow': wf.spec.name, 'tandem.item.id': itemId, 'tandem.decision.source': 'lead' };
  return inSpan('tandem.decision', { attributes }, (span) => db.transaction(async (tx) => {
    const item = await lockItem(tx, itemId);
    if (!item || item.workflow !== wf.spec.name) throw notFound(`no item ${itemId}`);
    const decision = await appendDecision(tx, { itemId, source: 'lead', outcome, actor: actorName(principal), reason, example: exampleOf(wf, item, outcome) });
    if (span.isRecording()) {
      span.setAttribute('tandem.decision.version', decision.version);
      span.addLinks(linksTo(await getTraceParent(tx, itemId), { 'tandem.link': 'submit' }));
    }
    const cancelled = await cancelOpenTasks(tx, itemId);
    await insertEvents(tx, [
      {
        type: decision.supersedes ? 'decision.corrected' : 'decision.made',
        workflow: wf.spec.name,
        itemId,
        payload: { version: decision.version, source: 'lead', outcome, supersedes: decision.supersedes, reason, cancelledTasks: cancelled },
      },
    ]);
    return decision;
  }));
}

/**
 * Every human decision is a labelled example for the model (a correction relabels it), written
 * with the decision (store/decisions.ts) so the feedback loop never misses one. Null when the
 * outcome teaches no label, or the item has no text to learn from.
 */
function exampleOf(wf: CompiledWorkflow, item: ItemRow, outcome: Outcome): Omit<DecisionExample, 'itemId'> | null {
  const label = exampleLabelOf(outcome);
  return label === null || !item.text ? null : { workflow: wf.spec.name, text: item.text, label };
}

/** The label an outcome teaches the model, if any. */
function exampleLabelOf(outcome: Outcome): string | null {
  return outcome.type === 'label' ? outcome.label
    : outcome.type === 'approve' && outcome.verdict !== 'edit' ? outcome.verdict
    // A reply teaches the intent model only when its intent is known (engine/replyAnswers.ts).
    : outcome.type === 'reply' ? (outcome.intent ?? null)
    : null;
}

/** A confirmed audit makes no decision but is a human-verified label all the same. */
async function learnFrom(tx: Queryable, wf: CompiledWorkflow, item: ItemRow, outcome: Outcome): Promise<void> {
  const example = exampleOf(wf, item, outcome);
  if (example) await upsertDecisionExample(tx, { ...example, itemId: item.id });
}
