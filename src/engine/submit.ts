// submit → validate → dedupe by idempotency key → predict → route → one write.
import { createHash } from 'node:crypto';
import { newId } from '../store/ids.ts';
import { canonicalJson } from '../core/canonicalJson.ts';
import { decideRoute } from '../core/policy.ts';
import type { Draft, Prediction, Route } from '../core/types.ts';
import { routeReply } from '../core/replyRoute.ts';
import { replySettings } from '../core/workflow.ts';
import { livePriority, replySignals, type ConversationContext } from './replySignals.ts';
import type { NewEvent } from '../store/events.ts';
import { getItemByKey, type ItemRow, type NewMachineDecision, type NewTask } from '../store/items.ts';
import type { Engine } from './engine.ts';
import { forbidden, invalid, unprocessable } from './errors.ts';
import { machineOutcome } from './outcomes.ts';
import { mayAccess, actorName, type Principal } from './principals.ts';
import type { CompiledWorkflow } from './workflows.ts';
import { targetRouting } from './tuning.ts';
import { applySurge, surgeRouting } from './surge.ts';
import { inSpan, markSpan, present, traceParentOf } from './tracing.ts';
import type { Span } from '@opentelemetry/api';

export interface SubmitInput {
  workflow: string;
  text?: string | null | undefined;
  fields?: Record<string, unknown> | undefined;
  metadata?: Record<string, unknown> | undefined;
  idempotencyKey?: string | null | undefined;
  /** Reply workflows: the conversation the message is part of (engine/conversations.ts gives it). */
  conversation?: ConversationContext | undefined;
}

export interface SubmitResult {
  itemId: string;
  /** False when the idempotency key had been used: the first submit's result is returned. */
  created: boolean;
  status: ItemRow['status'];
  route: Route;
  createdAt: Date;
}

export function submitItem(engine: Engine, principal: Principal, input: SubmitInput): Promise<SubmitResult> {
  return inSpan('tandem.submit', { attributes: { 'tandem.workflow': input.workflow } }, async (span) => {
    const result = await submitTraced(engine, principal, input, span);
    if (span.isRecording()) {
      span.setAttributes(present({
        'tandem.item.id': result.itemId, 'tandem.item.created': result.created, 'tandem.route': result.route.route,
        'tandem.model.label': result.route.label, 'tandem.model.confidence': result.route.confidence,
      }));
    }
    return result;
  });
}

async function submitTraced(engine: Engine, principal: Principal, input: SubmitInput, span: Span): Promise<SubmitResult> {
  if (!mayAccess(principal, input.workflow)) throw forbidden(`this key may not submit to workflow "${input.workflow}"`);
  // Every read and the write go through the intake's connections: a submit never queues behind
  // reviewers' claims and answers for the main pool (store/db.ts Db.intake).
  const db = engine.db.intake;
  const wf = await engine.workflows.get(db, input.workflow);
  const text = input.text ?? null;
  const fields = input.fields ?? {};
  const metadata = input.metadata ?? {};
  if (text === null && Object.keys(fields).length === 0) {
    throw invalid('an item needs text or fields', [{ path: 'text', message: 'give text, fields, or both' }]);
  }
  const problems = wf.checkFields(fields);
  if (problems.length > 0) throw invalid('the item\'s fields do not fit the workflow\'s input schema', problems);

  const requestHash = createHash('sha256').update(canonicalJson({ text, fields, metadata })).digest('hex');
  const key = input.idempotencyKey ?? null;
  // A repeat is rare, and the insert below detects it anyway; looking first costs every submit a
  // query, which only pays where a model call costs money per request.
  if (key !== null && wf.spec.model.type === 'openai') {
    const seen = await getItemByKey(db, wf.spec.name, key);
    if (seen) return replay(seen, requestHash);
  }

  const itemId = newId();
  let prediction = await inSpan('tandem.predict', { parent: span, attributes: { 'tandem.workflow': wf.spec.name, 'tandem.item.id': itemId } }, async (predictSpan) => {
    const p = await engine.models.predict(db, wf, { workflow: wf.spec.name, text, fields, metadata, labels: wf.labels });
    if (predictSpan.isRecording()) {
      predictSpan.setAttributes(present({ 'tandem.model': p?.model ?? 'none', 'tandem.model.label': p?.label, 'tandem.model.confidence': p?.confidence }));
    }
    return p;
  });
  let drafted: Draft | null = null;
  let replyRouting: ((r: Route) => Route) | null = null;
  if (wf.spec.answerType === 'reply' && text !== null) {
    const settings = replySettings(wf.spec);
    const context = input.conversation ?? null;
    const usable = prediction !== null && prediction.error === undefined;
    const intent = prediction !== null && prediction.error === undefined ? prediction.label : null;
    const intentConfidence = prediction !== null && prediction.error === undefined ? prediction.confidence : null;
    const draft = await engine.drafts.draft(db, wf, { text, intent, intentConfidence, fields, metadata, history: context?.history ?? [] });
    drafted = draft.draft;
    const signals = replySignals(wf, { text, intent, metadata, sentiment: engine.sentiment(text) }, context);
    const withDraft: Prediction = prediction ?? { labels: {}, label: null, confidence: null, explanation: [], model: 'none' };
    withDraft.draft = drafted;
    prediction = prediction === null && drafted === null ? null : withDraft;
    replyRouting = (r) => routeReply({ route: r, draft: drafted, draftProblem: draft.problem ?? (usable ? undefined : `no usable prediction: ${prediction?.error ?? 'no model'}`), settings, signals, livePriority: context ? livePriority : 0 });
  }
  const target = wf.spec.targetAccuracy === undefined ? null : targetRouting(wf, await engine.tunings.current(db, wf.spec.name));
  const usual = target?.policy ?? wf.spec.policy;
  const surge = await surgeRouting(engine, wf, usual, db);
  const ruleFields = text === null ? fields : { text, ...fields };
  const decided = decideRoute({
    policy: surge.policy,
    rules: wf.rules,
    labels: wf.labels,
    prediction,
    fields: ruleFields,
    metadata,
    itemKey: key ?? itemId,
  });
  const policyRoute: Route = target?.note && decided.route !== 'auto' ? { ...decided, reasons: [...decided.reasons, target.note] } : decided;
  const replied = replyRouting ? replyRouting(policyRoute) : policyRoute;
  const surged = applySurge(wf, surge, usual, replied, { fields: ruleFields, metadata, label: replied.label, confidence: replied.confidence });
  const route = surged.route;
  const plan = planWork(wf, route, actorName(principal), target?.reviewers ?? wf.spec.consensus.answers, surged, drafted);
  const inserted = await engine.intake.insert({
    item: { id: itemId, workflow: wf.spec.name, idempotencyKey: key, requestHash, text, fields, metadata, prediction, route, status: plan.decision ? 'decided' : 'pending', traceParent: traceParentOf(span) },
    decision: plan.decision,
    tasks: plan.tasks,
    events: plan.events,
  });
  if (inserted && plan.decision && span.isRecording()) {
    markSpan('tandem.decision', { parent: span, attributes: { 'tandem.workflow': wf.spec.name, 'tandem.item.id': itemId, 'tandem.decision.source': 'machine', 'tandem.decision.version': 1 } });
  }
  if (!inserted) {
    // Another request with the same key won the race while this one was predicting.
    const seen = key === null ? null : await getItemByKey(db, wf.spec.name, key);
    if (!seen) throw new Error('item insert conflicted but no item holds the key');
    return replay(seen, requestHash);
  }
  return { itemId, created: true, status: plan.decision ? 'decided' : 'pending', route, createdAt: inserted.created_at };
}

function replay(seen: ItemRow, requestHash: string): SubmitResult {
  if (seen.request_hash !== requestHash) {
    throw unprocessable('this Idempotency-Key was used for a different request; use a new key for a new item');
  }
  return { itemId: seen.id, created: false, status: seen.status, route: seen.route as Route, createdAt: seen.created_at };
}

interface WorkPlan {
  decision: NewMachineDecision | null;
  tasks: NewTask[];
  events: NewEvent[];
}

/** What a route makes of an item: a machine decision, human tasks, and the events that say so. */
export function planWork(
  wf: CompiledWorkflow,
  route: Route,
  submitter: string,
  reviewers: number,
  surge: { boost: number; deferred: boolean } = { boost: 0, deferred: false },
  draft: Draft | null = null,
): WorkPlan {
  const { spec } = wf;
  const events: NewEvent[] = [
    { type: 'item.routed', workflow: spec.name, payload: { route: route.route, audit: route.audit, reasons: route.reasons, submitter } },
  ];
  const task = (kind: NewTask['kind'], queue: string, reason: string): NewTask => ({
    id: newId(),
    queue,
    kind,
    priority: route.priority,
    dueInSeconds: spec.slaSeconds,
    skills: route.skills,
    reason,
    surgeBoost: surge.boost,
    // An escalation is for a lead, never held back; an audit or a review of a deferred item is.
    deferred: surge.deferred && kind !== 'escalation',
  });
  let decision: NewMachineDecision | null = null;
  const tasks: NewTask[] = [];
  if (route.route === 'auto' && route.label !== null) {
    decision = {
      source: 'machine',
      outcome: machineOutcome(wf, route.label, draft),
      actor: 'machine',
      reason: draft ? `intent confidence ${route.confidence?.toFixed(3)} and draft confidence ${draft.confidence.toFixed(3)} met the thresholds` : `confidence ${route.confidence?.toFixed(3)} met the threshold`,
    };
    events.push({ type: 'decision.made', workflow: spec.name, payload: { version: 1, source: 'machine', outcome: decision.outcome } });
    if (route.audit) tasks.push(task('audit', spec.queues.review, 'sampled for audit'));
  } else if (route.route === 'escalate') {
    tasks.push(task('escalation', spec.queues.escalation, 'a rule escalates this item'));
  } else if (reviewers > 1) {
    for (let i = 0; i < reviewers; i++) tasks.push(task('vote', spec.queues.review, `consensus vote ${i + 1} of ${reviewers}`));
  } else {
    tasks.push(task('review', spec.queues.review, 'needs a person'));
  }
  for (const t of tasks) {
    events.push({ type: 'task.created', workflow: spec.name, taskId: t.id, payload: {
      kind: t.kind, queue: t.queue, priority: t.priority,
      ...(t.surgeBoost ? { surgeBoost: t.surgeBoost } : {}), ...(t.deferred ? { deferred: true } : {}),
    } });
  }
  return { decision, tasks, events };
}
