// Customer conversations on a reply workflow. While the bot has the conversation, each customer
// message is an item: the machine predicts its intent, drafts a reply and routes it; a confident
// draft goes out at once, anything else hands the conversation to a person, and the customer is
// told a person is coming with an estimated wait. While a person has it, messages go straight
// into the thread the agent is watching; the agent replies, and may hand it back to the bot.
// The customer's widget holds a per-conversation token (only its hash is stored), never an API key.
import { estimateWait, waitText, type WaitEstimate } from '../core/handoffWait.ts';
import { handoffReasonCodes } from '../core/replyRoute.ts';
import type { Outcome, Reason } from '../core/types.ts';
import { replySettings } from '../core/workflow.ts';
import type { Queryable } from '../store/db.ts';
import { latestDecision } from '../store/decisions.ts';
import { insertEvents } from '../store/events.ts';
import { newId } from '../store/ids.ts';
import {
  appendMessage, cancelUnclaimedConversationTasks, conversationItems, customerContacts, getConversation, getConversationByToken, handoffLoad, insertConversation, lastSeq,
  linkMessageItem, listMessages, lockConversation, markBotReplied, markHandedOff, markHumanReplied, openConversationTasks, recentCustomerMessages,
  setIntent, setRating, setState, unroutedMessages, type ConversationRow, type ConversationState, type MessageRow,
} from '../store/conversations.ts';
import { cancelOpenTasks } from '../store/tasks.ts';
import type { Engine } from './engine.ts';
import { conflict, forbidden, invalid, notFound, tooMany, unauthorized } from './errors.ts';
import { actorName, isLead, mayAccess, requirePerson, type Principal } from './principals.ts';
import { hashToken, newToken } from './secrets.ts';
import { submitItem } from './submit.ts';
import type { CompiledWorkflow } from './workflows.ts';

/** The machine acts for the customer when it submits their message: it may submit to this workflow only. */
const customerActor = (workflow: string): Principal => ({ kind: 'key', id: 'chat', name: 'chat', role: 'service', workflows: [workflow] });

export interface StartInput {
  workflow: string;
  customerId: string;
  /** Operator-given metadata (segment, name…); ignored on the public start. */
  customer?: Record<string, unknown> | undefined;
}

async function replyWorkflow(engine: Engine, name: string): Promise<CompiledWorkflow> {
  const wf = await engine.workflows.get(engine.db, name);
  if (wf.spec.answerType !== 'reply') throw invalid(`workflow "${name}" does not take customer conversations (answerType is "${wf.spec.answerType}", not "reply")`, [{ path: 'workflow', message: 'is not a reply workflow' }]);
  return wf;
}

/** A new conversation and its customer token (shown once). `principal` null: the public widget start. */
export async function startConversation(engine: Engine, principal: Principal | null, input: StartInput): Promise<{ conversation: ConversationRow; token: string }> {
  if (principal !== null && !mayAccess(principal, input.workflow)) throw notFound(`no workflow named "${input.workflow}"`);
  const wf = await replyWorkflow(engine, input.workflow);
  if (principal === null && !replySettings(wf.spec).publicChat) {
    // Said as not found: a workflow that does not take public chats does not exist for the public.
    throw notFound(`no public chat for workflow "${input.workflow}"`);
  }
  const token = newToken('conv');
  const conversation = await engine.db.transaction(async (tx) => {
    const c = await insertConversation(tx, { id: newId(), workflow: wf.spec.name, customerId: input.customerId, customer: principal === null ? {} : (input.customer ?? {}), tokenHash: token.hash });
    await insertEvents(tx, [{ type: 'conversation.started', workflow: wf.spec.name, payload: { conversationId: c.id, public: principal === null } }]);
    return c;
  });
  return { conversation, token: token.token };
}

/** The conversation the customer's token opens; a wrong token and an unknown id are the same 401. */
export async function customerConversation(engine: Engine, id: string, token: string | null): Promise<ConversationRow> {
  if (!token) throw unauthorized('send "Authorization: Bearer <conversation token>" (the token given when the conversation started)');
  const c = await getConversationByToken(engine.db, id, hashToken(token));
  if (!c) throw unauthorized('the conversation token does not open this conversation');
  return c;
}

export interface CustomerMessageResult {
  message: MessageRow;
  state: ConversationState;
  /** The bot's reply, when it answered at once. */
  reply: MessageRow | null;
  /** The notice that a person is coming, with the wait, when the message was handed over. */
  notice: MessageRow | null;
  wait: WaitEstimate | null;
}

export async function customerMessage(engine: Engine, conversation: ConversationRow, input: { customerId: string; text: string }): Promise<CustomerMessageResult> {
  const wf = await replyWorkflow(engine, conversation.workflow);
  const settings = replySettings(wf.spec);
  if (input.customerId !== conversation.customer_id) throw forbidden('this conversation belongs to another customer');
  const text = input.text.trim();
  if (text === '') throw invalid('a message needs some text', [{ path: 'text', message: 'may not be empty or only spaces' }]);
  if (text.length > settings.maxMessageChars) {
    throw invalid(`a message may be at most ${settings.maxMessageChars} characters; this one has ${text.length}`, [{ path: 'text', message: `is longer than ${settings.maxMessageChars} characters` }]);
  }

  // Under the conversation's lock, so 50 messages sent at once are counted one after another.
  const { message, state, history } = await engine.db.transaction(async (tx) => {
    const c = await lockConversation(tx, conversation.id);
    if (!c) throw notFound(`no conversation ${conversation.id}`);
    const limit = settings.rateLimit;
    const recent = await recentCustomerMessages(tx, { conversationId: c.id, workflow: c.workflow, customerId: c.customer_id, seconds: limit.perSeconds });
    if (recent.conversation >= limit.messages || recent.customer >= limit.messages * 3) {
      const wait = recent.oldest_at ? limit.perSeconds - (Date.now() - recent.oldest_at.getTime()) / 1000 : limit.perSeconds;
      throw tooMany(`you are sending messages faster than we can read them: at most ${limit.messages} in ${limit.perSeconds} seconds. Please wait a moment and send it again.`, wait);
    }
    const before = await listMessages(tx, c.id, Math.max(0, c.last_seq - 20));
    // A closed conversation opens again with the bot when the customer writes.
    if (c.state === 'closed') await setState(tx, c.id, 'bot');
    const toBot = c.state === 'bot' || c.state === 'closed';
    const m = await appendMessage(tx, { conversationId: c.id, author: 'customer', text, needsRoute: toBot });
    return { message: m, state: toBot ? ('bot' as const) : c.state, history: before };
  });
  if (state !== 'bot') return { message, state, reply: null, notice: null, wait: null };
  return routeMessage(engine, wf, conversation, message, history);
}

/**
 * The bot's turn on a customer message: submit it as an item (its idempotency key is the message,
 * so doing this twice makes one item), then write the reply or the handoff once.
 */
async function routeMessage(engine: Engine, wf: CompiledWorkflow, conversation: ConversationRow, message: MessageRow, history: MessageRow[]): Promise<CustomerMessageResult> {
  const settings = replySettings(wf.spec);
  const text = message.text;

  const hours = settings.repeatContactDays * 24;
  const contacts = (await customerContacts(engine.db, { workflow: wf.spec.name, customerId: conversation.customer_id, hours })).map((r) => ({
    customerId: conversation.customer_id, conversationId: r.conversation_id, intent: r.intent, at: r.created_at.getTime(),
  }));
  const submitted = await submitItem(engine, customerActor(wf.spec.name), {
    workflow: wf.spec.name,
    text,
    metadata: { ...conversation.customer, conversationId: conversation.id, customerId: conversation.customer_id, channel: 'chat' },
    idempotencyKey: `conversation:${conversation.id}:${message.seq}`,
    conversation: { id: conversation.id, customerId: conversation.customer_id, history: history.map((h) => ({ author: h.author, text: h.text })), contacts },
  });
  const route = submitted.route;
  const decided = submitted.status === 'decided';
  const wait = decided ? null : await waitEstimate(engine.db, wf);
  const { reply, notice, after } = await engine.db.transaction(async (tx) => {
    const c = await lockConversation(tx, conversation.id);
    if (!c) throw notFound(`no conversation ${conversation.id}`);
    if (!(await linkMessageItem(tx, c.id, message.seq, submitted.itemId))) return { reply: null, notice: null, after: c.state };
    await setIntent(tx, c.id, route.label);
    if (c.state !== 'bot') return { reply: null, notice: null, after: c.state };
    if (decided) {
      const decision = await latestDecision(tx, submitted.itemId);
      const outcome = decision?.outcome as Outcome | undefined;
      if (outcome?.type !== 'reply') return { reply: null, notice: null, after: c.state };
      const r = await appendMessage(tx, { conversationId: c.id, author: 'bot', text: outcome.text, itemId: submitted.itemId });
      await markBotReplied(tx, c.id, route.label);
      return { reply: r, notice: null, after: c.state };
    }
    await markHandedOff(tx, c.id, handoffReasonCodes(route));
    const n = await appendMessage(tx, { conversationId: c.id, author: 'system', text: handoffNotice(route.reasons, wait!) });
    await insertEvents(tx, [{ type: 'conversation.handed_off', workflow: c.workflow, itemId: submitted.itemId, payload: { conversationId: c.id, reasons: handoffReasonCodes(route), route: route.route, waitSeconds: wait!.seconds } }]);
    return { reply: null, notice: n, after: 'waiting' as const };
  });
  return { message, state: after, reply, notice, wait };
}

/**
 * Finishes customer messages whose route was never written (the process died between submitting
 * and replying): run by every server now and then; the message's idempotency key and the
 * needs-route mark make a second run, or a run racing a slow first one, change nothing.
 */
export async function finishUnroutedMessages(engine: Engine, olderThanSeconds = 30): Promise<number> {
  let finished = 0;
  for (const m of await unroutedMessages(engine.db, olderThanSeconds)) {
    const c = await getConversation(engine.db, m.conversation_id);
    if (!c) continue;
    const wf = await replyWorkflow(engine, c.workflow);
    const history = (await listMessages(engine.db, c.id, Math.max(0, m.seq - 21))).filter((h) => h.seq < m.seq);
    const r = await routeMessage(engine, wf, c, m, history);
    if (r.reply || r.notice) finished++;
  }
  return finished;
}

/** What the customer reads when a person takes over: never a silent wait. */
export function handoffNotice(reasons: Reason[], wait: WaitEstimate): string {
  const modelDown = reasons.some((r) => r.code === 'model_error');
  const asked = reasons.some((r) => r.code === 'signal' && r.signal === 'human_requested');
  const lead = modelDown
    ? 'Our assistant is unavailable right now, so a person from our team will answer you.'
    : asked
      ? 'Of course — a person from our team will take over.'
      : 'A person from our team will take over to help you with this.';
  return `${lead} Expected wait: ${waitText(wait.seconds)} (an estimate).`;
}

export async function waitEstimate(db: Queryable, wf: CompiledWorkflow): Promise<WaitEstimate> {
  const load = await handoffLoad(db, wf.spec.name);
  return estimateWait({
    queued: load.queued,
    meanHandleSeconds: load.mean_handle_ms !== null ? load.mean_handle_ms / 1000 : replySettings(wf.spec).meanHandleSeconds,
    activeAgents: load.active_agents,
    arrivalsPerHour: load.handoffs_last_15_min * 4,
  });
}

/** In an answer's transaction: the agent's reply goes to the customer and the conversation is theirs. */
export async function agentReplied(tx: Queryable, conversationId: string, text: string, itemId: string, agentId: string): Promise<void> {
  const c = await lockConversation(tx, conversationId);
  if (!c) return;
  await appendMessage(tx, { conversationId, author: 'agent', text, itemId, agentId });
  if (c.state !== 'closed') await markHumanReplied(tx, conversationId, agentId);
}

/** A person's conversation: 404 when they may not see its workflow. */
async function agentConversation(engine: Engine, principal: Principal, id: string): Promise<ConversationRow> {
  const c = await getConversation(engine.db, id);
  if (!c || !mayAccess(principal, c.workflow)) throw notFound(`no conversation ${id}`);
  return c;
}

export async function agentMessage(engine: Engine, principal: Principal, id: string, text: string): Promise<MessageRow> {
  const agent = requirePerson(principal);
  const c = await agentConversation(engine, principal, id);
  const wf = await replyWorkflow(engine, c.workflow);
  const body = text.trim();
  if (body === '') throw invalid('a message needs some text', [{ path: 'text', message: 'may not be empty or only spaces' }]);
  if (body.length > 20_000) throw invalid('a message may be at most 20000 characters', [{ path: 'text', message: 'is too long' }]);
  return engine.db.transaction(async (tx) => {
    const locked = await lockConversation(tx, c.id);
    if (!locked || locked.state === 'closed') throw conflict('the conversation is closed');
    if (!isLead(principal) && (await openConversationTasks(tx, c.id)).some((t) => t.kind === 'escalation')) {
      throw forbidden('this conversation was escalated to a lead; a lead answers it');
    }
    const m = await appendMessage(tx, { conversationId: c.id, author: 'agent', text: body, agentId: agent.id });
    await markHumanReplied(tx, c.id, agent.id);
    // The agent took the conversation over: a handoff still in the queue would have someone else answer it again.
    const cancelled = await cancelUnclaimedConversationTasks(tx, c.id);
    await insertEvents(tx, [
      { type: 'conversation.agent_message', workflow: wf.spec.name, payload: { conversationId: c.id, agent: actorName(principal), seq: m.seq } },
      ...cancelled.map((t) => ({ type: 'task.cancelled', workflow: t.workflow, itemId: t.item_id, taskId: t.id, payload: { reason: 'an agent took the conversation over' } })),
    ]);
    return m;
  });
}

/** The person is done: the bot answers again (open handoff work on the conversation is cancelled). */
export async function handBack(engine: Engine, principal: Principal, id: string): Promise<ConversationRow> {
  requirePerson(principal);
  const c = await agentConversation(engine, principal, id);
  return changeState(engine, principal, c, 'bot', 'You are back with our assistant. Write "agent" any time to reach a person again.');
}

export async function closeConversation(engine: Engine, principal: Principal, id: string): Promise<ConversationRow> {
  const c = await agentConversation(engine, principal, id);
  return changeState(engine, principal, c, 'closed', 'This conversation was closed. Thank you for contacting us.');
}

async function changeState(engine: Engine, principal: Principal | null, c: ConversationRow, state: 'bot' | 'closed', notice: string): Promise<ConversationRow> {
  await engine.db.transaction(async (tx) => {
    const locked = await lockConversation(tx, c.id);
    if (!locked) throw notFound(`no conversation ${c.id}`);
    if (locked.state === state) return;
    for (const t of await openConversationTasks(tx, c.id)) await cancelOpenTasks(tx, t.item_id);
    await setState(tx, c.id, state);
    await appendMessage(tx, { conversationId: c.id, author: 'system', text: notice });
    await insertEvents(tx, [{ type: state === 'bot' ? 'conversation.handed_back' : 'conversation.closed', workflow: c.workflow, payload: { conversationId: c.id, by: principal ? actorName(principal) : 'customer' } }]);
  });
  return (await getConversation(engine.db, c.id))!;
}

export async function customerClose(engine: Engine, c: ConversationRow): Promise<ConversationRow> {
  return changeState(engine, null, c, 'closed', 'You closed this conversation. Thank you for contacting us.');
}

export async function rateConversation(engine: Engine, c: ConversationRow, rating: 'up' | 'down'): Promise<void> {
  await engine.db.transaction(async (tx) => {
    await setRating(tx, c.id, rating);
    await insertEvents(tx, [{ type: 'conversation.rated', workflow: c.workflow, payload: { conversationId: c.id, rating } }]);
  });
}

/**
 * Messages after `after`, waiting up to `waitMs` for one to arrive (a long poll; any process's
 * writes are seen, since it reads the database). Returns at once when there are some.
 */
export async function readMessages(engine: Engine, c: ConversationRow, after: number, waitMs: number, signal: AbortSignal | null): Promise<{ messages: MessageRow[]; state: ConversationState }> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const head = await lastSeq(engine.db, c.id);
    if (!head) throw notFound(`no conversation ${c.id}`);
    if (head.last_seq > after || Date.now() >= deadline || signal?.aborted) {
      return { messages: head.last_seq > after ? await listMessages(engine.db, c.id, after, 200) : [], state: head.state };
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

export interface ConversationDetail {
  conversation: ConversationRow;
  messages: MessageRow[];
  items: Awaited<ReturnType<typeof conversationItems>>;
  wait: WaitEstimate | null;
}

/** Everything an agent needs: the whole thread, each message's route and decision, the customer. */
export async function conversationDetail(engine: Engine, principal: Principal, id: string): Promise<ConversationDetail> {
  const c = await agentConversation(engine, principal, id);
  const wf = await replyWorkflow(engine, c.workflow);
  const [messages, items, wait] = await Promise.all([
    listMessages(engine.db, c.id, 0, 1000),
    conversationItems(engine.db, c.id),
    c.state === 'waiting' ? waitEstimate(engine.db, wf) : Promise.resolve(null),
  ]);
  return { conversation: c, messages, items, wait };
}
