// Conversations: the operator's and the agent's side (API key or session), and the customer's
// side under /v1/chat, authorised by the per-conversation token the start returned, so that a chat
// widget in a browser never holds an API key.
import { z } from 'zod';
import {
  agentMessage, closeConversation, conversationDetail, customerClose, customerConversation, customerMessage, handBack, rateConversation,
  readMessages, startConversation, waitEstimate,
} from '../../engine/conversations.ts';
import { chatMetrics } from '../../engine/chatMetrics.ts';
import { libraryOf, seedLibrary } from '../../engine/replyLibrary.ts';
import { invalid } from '../../engine/errors.ts';
import { requireLead, visibleWorkflows } from '../../engine/principals.ts';
import { visibleWorkflow } from '../../engine/workflows.ts';
import { listConversations, type ConversationRow, type MessageRow } from '../../store/conversations.ts';
import { defineRoute } from '../route.ts';

const nameParam = z.object({ name: z.string().min(1).max(63).describe('Workflow name') });
const idParam = z.object({ id: z.uuid('must be a conversation id (a UUID)').describe('Conversation id') });
const customerId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/, 'letters, digits and . _ : @ -, 1 to 128 characters, starting with a letter or digit')
  .describe('The customer, as the operator names them');
// Metadata the routing signals and the agent read: flat and small.
const customerMeta = z.record(z.string().min(1).max(64), z.union([z.string().max(500), z.number(), z.boolean(), z.null()])).refine((r) => Object.keys(r).length <= 30, 'at most 30 keys');
const states = ['bot', 'waiting', 'human', 'closed'] as const;

export function messageView(m: MessageRow) {
  return { seq: m.seq, author: m.author, text: m.text, itemId: m.item_id, createdAt: m.created_at.toISOString() };
}

export function conversationView(c: ConversationRow) {
  return {
    id: c.id, workflow: c.workflow, customerId: c.customer_id, customer: c.customer, state: c.state, intent: c.intent,
    handoffs: c.handoffs, handoffReasons: c.handoff_reasons, botReplies: c.bot_replies, agentId: c.agent_id, rating: c.rating,
    lastSeq: c.last_seq, createdAt: c.created_at.toISOString(), updatedAt: c.updated_at.toISOString(),
    handedOffAt: c.handed_off_at?.toISOString() ?? null, firstHumanAt: c.first_human_at?.toISOString() ?? null, closedAt: c.closed_at?.toISOString() ?? null,
  };
}

const messageBody = z.object({ customerId, text: z.string().max(100_000).describe('The customer\'s message (the workflow\'s reply.maxMessageChars, 2000 by default, is the real limit)') }).strict();

export const conversationRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v1/workflows/{name}/conversations',
    tag: 'conversations',
    summary: 'Start a conversation',
    description:
      'For the operator\'s backend (API key). Starts a conversation of a `reply` workflow for `customerId`, with the customer\'s metadata (`segment` "vip" is a routing signal; everything is shown to the agent). Returns the conversation and its `token`, shown only this once: hand it to the customer\'s chat widget, which uses it as `Authorization: Bearer <token>` on the /v1/chat endpoints of this conversation only. Only its SHA-256 hash is stored.',
    params: nameParam,
    body: z.object({ customerId, customer: customerMeta.optional() }).strict(),
    responses: { 201: { description: 'The conversation and its customer token' } },
    async handle({ engine, principal, params, body }) {
      const r = await startConversation(engine, principal, { workflow: params.name, customerId: body.customerId, customer: body.customer });
      return { status: 201, body: { conversation: conversationView(r.conversation), token: r.token } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/conversations',
    tag: 'conversations',
    summary: 'List conversations',
    description: 'Newest activity first, for the workflows the caller works; `state` filters (comma-separated: bot, waiting, human, closed).',
    query: z
      .object({
        workflow: z.string().min(1).max(63).optional(),
        state: z.string().max(40).optional().describe('e.g. `waiting,human`'),
        limit: z.coerce.number().int().min(1).max(500).default(50),
      })
      .strict(),
    responses: { 200: { description: 'Conversations' } },
    async handle({ engine, principal, query }) {
      const wanted = query.state ? query.state.split(',').map((s) => s.trim()) : null;
      const bad = wanted?.find((s) => !(states as readonly string[]).includes(s));
      if (bad !== undefined) throw invalid(`unknown state "${bad}"`, [{ path: 'query.state', message: `must be among ${states.join(', ')}` }]);
      const rows = await listConversations(engine.db, { workflows: visibleWorkflows(principal), workflow: query.workflow ?? null, states: wanted as (typeof states)[number][] | null, limit: query.limit });
      return { status: 200, body: { conversations: rows.map(conversationView) } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/conversations/{id}',
    tag: 'conversations',
    summary: 'A conversation, whole',
    description:
      'The agent\'s view: the conversation (state, customer metadata, handoff reasons, rating), every message in order, and each customer message the machine judged with its prediction, draft, route (reasons) and current decision; `wait` is the customer\'s estimated wait while it waits for a person.',
    params: idParam,
    responses: { 200: { description: 'The conversation, its thread and its decisions' } },
    async handle({ engine, principal, params }) {
      const d = await conversationDetail(engine, principal, params.id);
      return {
        status: 200,
        body: {
          conversation: conversationView(d.conversation),
          messages: d.messages.map(messageView),
          items: d.items.map((i) => ({ id: i.id, text: i.text, prediction: i.prediction, route: i.route, status: i.status, createdAt: i.created_at.toISOString(), decision: i.decision, openTaskId: i.open_task_id })),
          wait: d.wait,
        },
      };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/conversations/{id}/messages',
    tag: 'conversations',
    summary: 'An agent writes to the customer',
    description: 'People only. Appends the agent\'s message to the thread (the customer\'s widget shows it at once) and makes the conversation theirs (`human`). 409 when it is closed.',
    params: idParam,
    body: z.object({ text: z.string().max(100_000) }).strict(),
    responses: { 201: { description: 'The message' } },
    async handle({ engine, principal, params, body }) {
      return { status: 201, body: { message: messageView(await agentMessage(engine, principal, params.id, body.text)) } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/conversations/{id}/handback',
    tag: 'conversations',
    summary: 'Hand the conversation back to the bot',
    description: 'People only. The bot answers the customer\'s next messages again; open handoff work on the conversation is cancelled; the customer is told.',
    params: idParam,
    responses: { 200: { description: 'The conversation' } },
    async handle({ engine, principal, params }) {
      return { status: 200, body: { conversation: conversationView(await handBack(engine, principal, params.id)) } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/conversations/{id}/close',
    tag: 'conversations',
    summary: 'Close the conversation',
    description: 'Marks it resolved (its resolution time ends now); open work on it is cancelled. A new customer message opens it again with the bot.',
    params: idParam,
    responses: { 200: { description: 'The conversation' } },
    async handle({ engine, principal, params }) {
      return { status: 200, body: { conversation: conversationView(await closeConversation(engine, principal, params.id)) } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/workflows/{name}/chat-metrics',
    tag: 'conversations',
    summary: 'Chat metrics',
    description:
      'Over conversations started since `since` (default: 7 days ago): automatic-resolution rate (conversations the bot answered with no handoff, of those with a customer message), handoff rate and the reasons (conversations per reason code), time to first human response and resolution time (count, median, p90, mean seconds), thumbs up/down per route (bot only / handed to a person) and per intent, and draft acceptance overall and per intent (sent unchanged, edited, rewritten, written without a draft; mean word edit rate).',
    params: nameParam,
    query: z.object({ since: z.iso.datetime({ offset: true }).optional() }).strict(),
    responses: { 200: { description: 'The metrics' } },
    async handle({ engine, principal, params, query }) {
      const wf = await visibleWorkflow(engine.db, engine.workflows, principal, params.name);
      const since = query.since ? new Date(query.since) : new Date(Date.now() - 7 * 86400_000);
      return { status: 200, body: await chatMetrics(engine, wf, since) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/workflows/{name}/replies',
    tag: 'conversations',
    summary: 'The reply library',
    description: 'The human-approved replies the machine drafts from, per intent, with the customer messages each answered and how often agents sent its drafts unchanged.',
    params: nameParam,
    responses: { 200: { description: 'The library' } },
    async handle({ engine, principal, params }) {
      const wf = await visibleWorkflow(engine.db, engine.workflows, principal, params.name);
      return { status: 200, body: { replies: await libraryOf(engine, wf) } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/workflows/{name}/replies',
    tag: 'conversations',
    summary: 'Add replies to the library',
    description:
      'Leads. Each reply names its intent (one of the workflow\'s labels), its text (`{name}` / `{name|fallback}` placeholders are filled from the message\'s fields and customer metadata) and at least one customer message it answers. `uses` and `sentUnchanged` carry a track record over from elsewhere; without one a reply\'s drafts stay below automatic sending until agents have sent them unchanged. The same intent and text again adds its messages to the existing reply.',
    params: nameParam,
    body: z
      .object({
        replies: z
          .array(
            z
              .object({
                intent: z.string().min(1).max(100),
                text: z.string().min(1).max(5000),
                messages: z.array(z.string().min(1).max(2000)).min(1).max(50),
                uses: z.number().int().min(0).max(1_000_000).optional(),
                sentUnchanged: z.number().int().min(0).max(1_000_000).optional(),
              })
              .strict(),
          )
          .min(1)
          .max(1000),
      })
      .strict(),
    responses: { 200: { description: 'How many replies were new and how many grew' } },
    async handle({ engine, principal, params, body }) {
      const wf = await visibleWorkflow(engine.db, engine.workflows, principal, params.name);
      requireLead(principal, wf.spec.name);
      return { status: 200, body: await seedLibrary(engine, wf, body.replies) };
    },
  }),

  // ---- the customer's side ----
  defineRoute({
    method: 'POST',
    path: '/v1/chat/{name}/conversations',
    tag: 'chat',
    auth: 'public',
    summary: 'Start a conversation from a public widget',
    description:
      'No API key: only for workflows with `reply.publicChat` true (the demo widget); else 404. The customer id is the widget\'s own (it is not verified, and no customer metadata is taken from the public). Returns the conversation and its token.',
    params: nameParam,
    body: z.object({ customerId }).strict(),
    responses: { 201: { description: 'The conversation and its customer token' } },
    async handle({ engine, params, body }) {
      const r = await startConversation(engine, null, { workflow: params.name, customerId: body.customerId });
      return { status: 201, body: { conversation: { id: r.conversation.id, workflow: r.conversation.workflow, customerId: r.conversation.customer_id, state: r.conversation.state }, token: r.token } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/chat/conversations/{id}/messages',
    tag: 'chat',
    auth: 'public',
    summary: 'The customer sends a message',
    description:
      'With `Authorization: Bearer <conversation token>`. `customerId` must be the conversation\'s. 400 for an empty message or one over the workflow\'s `reply.maxMessageChars` (the limit is in the message); 429 with Retry-After when the customer sends faster than `reply.rateLimit` (per conversation, and three times that per customer across conversations). While the bot has the conversation the answer carries the bot\'s `reply`, or the `notice` that a person is coming with the estimated `wait`.',
    params: idParam,
    body: messageBody,
    headers: { authorization: { description: 'Bearer <conversation token>', required: true } },
    responses: { 202: { description: 'The message, and the bot\'s reply or the handoff notice' }, 401: { description: 'No or wrong conversation token' }, 429: { description: 'Too many messages; see Retry-After' } },
    async handle({ engine, params, body, token }) {
      const c = await customerConversation(engine, params.id, token || null);
      const r = await customerMessage(engine, c, body);
      return {
        status: 202,
        body: { message: messageView(r.message), state: r.state, reply: r.reply ? messageView(r.reply) : null, notice: r.notice ? messageView(r.notice) : null, wait: r.wait },
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/chat/conversations/{id}/messages',
    tag: 'chat',
    auth: 'public',
    summary: 'The customer reads new messages (long poll)',
    description:
      'With the conversation token. Messages after `after` (a message number; 0 for all), waiting up to `waitSeconds` (default 25, at most 30) for one to arrive; `state`, and while a person is awaited the estimated `wait` (an estimate: waiting customers × mean handle time ÷ active agents).',
    params: idParam,
    query: z.object({ after: z.coerce.number().int().min(0).max(2_147_483_647).default(0), waitSeconds: z.coerce.number().min(0).max(30).default(25) }).strict(),
    responses: { 200: { description: 'New messages and the state' } },
    async handle({ engine, params, query, token, signal }) {
      const c = await customerConversation(engine, params.id, token || null);
      const r = await readMessages(engine, c, query.after, query.waitSeconds * 1000, signal);
      const wf = r.state === 'waiting' ? await engine.workflows.get(engine.db, c.workflow) : null;
      return {
        status: 200,
        body: { state: r.state, messages: r.messages.map(messageView), wait: wf ? await waitEstimate(engine.db, wf) : null },
        headers: { 'cache-control': 'no-store' },
      };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/chat/conversations/{id}/rating',
    tag: 'chat',
    auth: 'public',
    summary: 'The customer rates the conversation',
    description: 'With the conversation token: thumbs `up` or `down`; a second rating replaces the first.',
    params: idParam,
    body: z.object({ rating: z.enum(['up', 'down']) }).strict(),
    responses: { 204: { description: 'Rated' } },
    async handle({ engine, params, body, token }) {
      const c = await customerConversation(engine, params.id, token || null);
      await rateConversation(engine, c, body.rating);
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/chat/conversations/{id}/close',
    tag: 'chat',
    auth: 'public',
    summary: 'The customer ends the conversation',
    params: idParam,
    responses: { 200: { description: 'Closed' } },
    async handle({ engine, params, token }) {
      const c = await customerConversation(engine, params.id, token || null);
      const closed = await customerClose(engine, c);
      return { status: 200, body: { state: closed.state } };
    },
  }),
];
