// `tandem export labels` and `tandem export audit`: a workflow's decisions written out page by
// page, so a large workflow streams instead of being held in memory.
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Queryable } from '../store/db.ts';
import {
  readAuditAnswers, readAuditDecisions, readAuditEvents, readAuditItems, readAuditTasks, readLabelPage, type Cursor, type LabelRow,
} from '../store/exports.ts';
import { csvRecord } from './tables.ts';

const defaultPageSize = 500;

/** Writes, waiting when the stream asks to (a slow pipe or disk is not buffered without bound). */
async function put(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/**
 * Whether a person confirmed the decision: a person, a consensus or a lead made it, or a person
 * answered on the item (an audit that agreed with the machine leaves the machine's decision).
 */
const humanVerified = (r: LabelRow) => r.source !== 'machine' || r.answers > 0;

/** Share of the answers that match the decision; null unless several people answered. */
const agreement = (r: LabelRow) => (r.answers >= 2 ? Math.round((r.agreeing / r.answers) * 1e4) / 1e4 : null);

const labelColumns = ['item_id', 'text', 'label', 'source', 'answers', 'agreement', 'decided_at'];

export async function exportLabels(db: Queryable, workflow: string, format: 'csv' | 'jsonl', out: Writable, pageSize = defaultPageSize): Promise<{ written: number }> {
  let written = 0;
  let after: Cursor | null = null;
  if (format === 'csv') await put(out, csvRecord(labelColumns));
  for (;;) {
    const page = await readLabelPage(db, workflow, after, pageSize);
    for (const r of page.filter(humanVerified)) {
      const decidedAt = r.decided_at.toISOString();
      await put(out, format === 'csv'
        ? csvRecord([r.id, r.text, r.label, r.source, r.answers, agreement(r), decidedAt])
        : `${JSON.stringify({ itemId: r.id, text: r.text, fields: r.fields, metadata: r.metadata, label: r.label, outcome: r.outcome, source: r.source, answers: r.answers, agreement: agreement(r), decidedAt })}\n`);
      written++;
    }
    const last = page.at(-1);
    if (!last || page.length < pageSize) return { written };
    after = { createdAt: last.cursor_at, id: last.id };
  }
}

const byItem = <T extends { item_id: string }>(rows: T[]) => {
  const m = new Map<string, T[]>();
  for (const r of rows) m.set(r.item_id, [...(m.get(r.item_id) ?? []), r]);
  return (id: string) => m.get(id) ?? [];
};

/** One JSON line per item: its input, prediction, route, tasks, answers (with who), decisions and events. */
export async function exportAudit(db: Queryable, workflow: string, out: Writable, pageSize = defaultPageSize): Promise<{ written: number }> {
  let written = 0;
  let after: Cursor | null = null;
  for (;;) {
    const items = await readAuditItems(db, workflow, after, pageSize);
    const ids = items.map((i) => i.id);
    const [tasks, answers, decisions, events] = ids.length
      ? await Promise.all([readAuditTasks(db, ids), readAuditAnswers(db, ids), readAuditDecisions(db, ids), readAuditEvents(db, ids)])
      : [[], [], [], []];
    const tasksOf = byItem(tasks);
    const answersOf = byItem(answers);
    const decisionsOf = byItem(decisions);
    const eventsOf = byItem(events);
    for (const i of items) {
      const line = {
        item: { id: i.id, workflow, idempotencyKey: i.idempotency_key, text: i.text, fields: i.fields, metadata: i.metadata, status: i.status, createdAt: i.created_at, decidedAt: i.decided_at },
        prediction: i.prediction,
        route: i.route,
        tasks: tasksOf(i.id).map((t) => ({ id: t.id, kind: t.kind, queue: t.queue, status: t.status, priority: t.priority, reason: t.reason, createdAt: t.created_at, dueAt: t.due_at, overdueAt: t.overdue_at, updatedAt: t.updated_at })),
        answers: answersOf(i.id).map((a) => ({
          id: a.id, taskId: a.task_id, reviewer: { id: a.reviewer_id, email: a.reviewer_email, name: a.reviewer_name },
          outcome: a.outcome, note: a.note, timeSpentMs: a.time_spent_ms, blind: a.blind, createdAt: a.created_at,
        })),
        decisions: decisionsOf(i.id).map((d) => ({ id: d.id, version: d.version, source: d.source, outcome: d.outcome, actor: d.actor, reason: d.reason, supersedes: d.supersedes, createdAt: d.created_at })),
        events: eventsOf(i.id).map((e) => ({ id: e.id, type: e.type, taskId: e.task_id, payload: e.payload, createdAt: e.created_at })),
      };
      await put(out, `${JSON.stringify(line)}\n`);
      written++;
    }
    const last = items.at(-1);
    if (!last || items.length < pageSize) return { written };
    after = { createdAt: last.cursor_at, id: last.id };
  }
}
