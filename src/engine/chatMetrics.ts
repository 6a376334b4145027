// The chat metrics of a reply workflow over a window: the rows from the store, summed up by
// core/chatMetrics.ts.
import { summariseChat, type ChatMetrics } from '../core/chatMetrics.ts';
import { conversationFacts } from '../store/conversations.ts';
import { listReplyEdits } from '../store/replyEdits.ts';
import type { Engine } from './engine.ts';
import { invalid } from './errors.ts';
import type { CompiledWorkflow } from './workflows.ts';

export async function chatMetrics(engine: Engine, wf: CompiledWorkflow, since: Date): Promise<ChatMetrics & { since: string }> {
  if (wf.spec.answerType !== 'reply') throw invalid(`workflow "${wf.spec.name}" has no conversations (answerType is "${wf.spec.answerType}")`, [{ path: 'name', message: 'is not a reply workflow' }]);
  const [conversations, edits] = await Promise.all([conversationFacts(engine.db, wf.spec.name, since), listReplyEdits(engine.db, wf.spec.name, since)]);
  const metrics = summariseChat(
    conversations.map((c) => ({
      intent: c.intent, customerMessages: c.customer_messages, botReplies: c.bot_replies, handoffs: c.handoffs, handoffReasons: c.handoff_reasons,
      rating: c.rating, createdAt: c.created_at, handedOffAt: c.handed_off_at, firstHumanAt: c.first_human_at, closedAt: c.closed_at,
    })),
    edits.map((e) => ({ intent: e.intent, action: e.action, rate: e.rate })),
  );
  return { since: since.toISOString(), ...metrics };
}
