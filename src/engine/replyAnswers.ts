// What an agent's reply on a drafted customer message does besides deciding the item: how far it
// is from the draft (sent / edited / rewritten, or written where there was none) is recorded; the
// reply joins the reply library as human-approved, and the draft's source learns whether it was
// sent unchanged (the feedback loop for replies); and in a conversation, the customer gets it.
import { classifyDraftAction } from '../core/editDistance.ts';
import type { Draft, Outcome, Prediction } from '../core/types.ts';
import { addApprovedReply } from '../model/builtin/replies.ts';
import type { Queryable } from '../store/db.ts';
import { getItem, type ItemRow } from '../store/items.ts';
import { insertReplyEdit, type NewReplyEdit } from '../store/replyEdits.ts';
import { lockLibraryEntry, recordLibraryUse, saveLibraryEntry } from '../store/replyLibrary.ts';
import type { NewEvent } from '../store/events.ts';
import type { TaskRow } from '../store/tasks.ts';
import { agentReplied } from './conversations.ts';
import type { CompiledWorkflow } from './workflows.ts';

export interface PreparedReply {
  outcome: Extract<Outcome, { type: 'reply' }>;
  item: ItemRow;
  draft: Draft | null;
  edit: Omit<NewReplyEdit, 'reviewerId'>;
}

/**
 * Judges the reply against the item's draft before the answer's transaction. The intent the reply
 * answers is the agent's if they named one; else the draft's when they kept it (sent or edited),
 * since keeping the draft confirms what it was for; a rewrite confirms nothing.
 */
export async function prepareReply(db: Queryable, wf: CompiledWorkflow, itemId: string, outcome: Outcome): Promise<PreparedReply | null> {
  if (outcome.type !== 'reply') return null;
  const item = await getItem(db, itemId);
  if (!item) return null;
  const prediction = item.prediction as Prediction | null;
  const draft = prediction?.draft ?? null;
  const change = draft ? classifyDraftAction(draft.text, outcome.text) : null;
  const kept = change !== null && change.action !== 'rewritten';
  const intent = outcome.intent ?? (kept ? (draft?.intent ?? prediction?.label ?? null) : null);
  return {
    outcome: { ...outcome, intent },
    item,
    draft,
    edit: {
      itemId: item.id, workflow: wf.spec.name, intent, draft: draft?.text ?? null, final: outcome.text,
      action: change?.action ?? 'written', distance: change?.distance ?? null, rate: change?.rate ?? null,
    },
  };
}

/** In the answer's transaction, after the decision: the record, the library, the conversation. */
export async function recordReply(tx: Queryable, wf: CompiledWorkflow, task: TaskRow, reply: PreparedReply, reviewerId: string): Promise<NewEvent[]> {
  // An audit of a reply that went out already judges it; it sends nothing to the customer.
  if (task.kind === 'audit') return [];
  await insertReplyEdit(tx, { ...reply.edit, reviewerId });
  const source = reply.draft?.source.startsWith('library:') ? reply.draft.source.slice('library:'.length) : null;
  const intent = reply.outcome.intent;
  if (source !== null && intent !== null) await recordLibraryUse(tx, wf.spec.name, source, intent, reply.edit.action === 'sent');
  if (intent !== null && reply.item.text) {
    const approved = { intent, message: reply.item.text, text: reply.outcome.text, context: { fields: reply.item.fields, metadata: reply.item.metadata } };
    const fresh = addApprovedReply({ entries: [] }, approved);
    if (fresh.id !== null) {
      const existing = await lockLibraryEntry(tx, wf.spec.name, fresh.id);
      const grown = existing ? addApprovedReply({ entries: [existing] }, approved).library : fresh.library;
      const entry = grown.entries.find((e) => e.id === fresh.id);
      if (entry) await saveLibraryEntry(tx, wf.spec.name, entry, existing?.source ?? 'approved');
    }
  }
  const events: NewEvent[] = [
    { type: 'reply.sent', workflow: wf.spec.name, itemId: reply.item.id, taskId: task.id, payload: { action: reply.edit.action, rate: reply.edit.rate, intent } },
  ];
  const conversationId = reply.item.metadata.conversationId;
  if (typeof conversationId === 'string') await agentReplied(tx, conversationId, reply.outcome.text, reply.item.id, reviewerId);
  return events;
}
