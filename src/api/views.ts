// How rows look on the wire: camelCase, ISO times, nothing internal (hashes, request hashes).
import type { ItemHistory } from '../engine/items.ts';
import type { CompiledWorkflow } from '../engine/workflows.ts';
import type { AnswerRow } from '../store/answers.ts';
import type { DecisionRow } from '../store/decisions.ts';
import type { EventRow } from '../store/events.ts';
import type { ItemRow } from '../store/items.ts';
import type { ReviewerRow } from '../store/people.ts';
import type { TaskRow } from '../store/tasks.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function workflowView(wf: CompiledWorkflow) {
  return { ...wf.spec, version: wf.version, createdAt: iso(wf.createdAt), updatedAt: iso(wf.updatedAt) };
}

export function itemInputView(item: ItemRow) {
  return { text: item.text, fields: item.fields, metadata: item.metadata };
}

export function taskView(t: TaskRow) {
  return {
    id: t.id,
    itemId: t.item_id,
    workflow: t.workflow,
    queue: t.queue,
    kind: t.kind,
    status: t.status,
    priority: t.priority,
    skills: t.skills,
    reason: t.reason,
    dueAt: iso(t.due_at),
    overdueAt: iso(t.overdue_at),
    assignment: t.assignment,
    leaseOwner: t.lease_owner,
    leaseExpiresAt: iso(t.lease_expires_at),
    createdAt: iso(t.created_at),
    updatedAt: iso(t.updated_at),
  };
}

export function answerView(a: AnswerRow) {
  return {
    id: a.id, taskId: a.task_id, reviewerId: a.reviewer_id, assignment: a.assignment, outcome: a.outcome,
    note: a.note, timeSpentMs: a.time_spent_ms, createdAt: iso(a.created_at),
  };
}

export function decisionView(d: DecisionRow) {
  return {
    id: d.id, itemId: d.item_id, version: d.version, source: d.source, outcome: d.outcome, actor: d.actor,
    reason: d.reason, supersedes: d.supersedes, createdAt: iso(d.created_at),
  };
}

export function eventView(e: EventRow) {
  return { id: e.id, type: e.type, taskId: e.task_id, payload: e.payload, createdAt: iso(e.created_at) };
}

export function itemView(h: ItemHistory) {
  const latest = h.decisions[h.decisions.length - 1] ?? null;
  return {
    id: h.item.id,
    workflow: h.item.workflow,
    status: h.item.status,
    idempotencyKey: h.item.idempotency_key,
    input: itemInputView(h.item),
    prediction: h.prediction,
    route: h.route,
    suggestionHidden: h.suggestionHidden,
    decision: latest ? decisionView(latest) : null,
    tasks: h.tasks.map(taskView),
    answers: h.answers.map(answerView),
    decisions: h.decisions.map(decisionView),
    events: h.events.map(eventView),
    createdAt: iso(h.item.created_at),
    decidedAt: iso(h.item.decided_at),
  };
}

export function reviewerView(r: ReviewerRow) {
  return { id: r.id, email: r.email, name: r.name, role: r.role, skills: r.skills, workflows: r.workflows, createdAt: iso(r.created_at) };
}
