// Conversations and their messages. A message's number (seq) comes from the conversation row,
// bumped under its lock, so the customer's widget and the agent read one gap-free order.
import type { Queryable } from './db.ts';

export type ConversationState = 'bot' | 'waiting' | 'human' | 'closed';
export type Author = 'customer' | 'bot' | 'agent' | 'system';

export interface ConversationRow {
  id: string;
  workflow: string;
  customer_id: string;
  customer: Record<string, unknown>;
  state: ConversationState;
  intent: string | null;
  handoff_reasons: string[];
  handoffs: number;
  bot_replies: number;
  agent_id: string | null;
  rating: 'up' | 'down' | null;
  last_seq: number;
  created_at: Date;
  updated_at: Date;
  handed_off_at: Date | null;
  first_human_at: Date | null;
  closed_at: Date | null;
}

export interface MessageRow {
  seq: number;
  author: Author;
  text: string;
  item_id: string | null;
  agent_id: string | null;
  created_at: Date;
}

const columns = `id::text AS id, workflow, customer_id, customer, state, intent, handoff_reasons, handoffs, bot_replies,
  agent_id::text AS agent_id, rating, last_seq, created_at, updated_at, handed_off_at, first_human_at, closed_at`;

export async function insertConversation(
  db: Queryable,
  c: { id: string; workflow: string; customerId: string; customer: Record<string, unknown>; tokenHash: string },
): Promise<ConversationRow> {
  const rows = await db.query<ConversationRow>(
    `INSERT INTO conversations (id, workflow, customer_id, customer, token_hash, state)
     VALUES ($1::uuid, $2::text, $3::text, $4::jsonb, $5::text, 'bot') RETURNING ${columns}`,
    [c.id, c.workflow, c.customerId, JSON.stringify(c.customer), c.tokenHash],
  );
  return rows[0]!;
}

export async function getConversation(db: Queryable, id: string): Promise<ConversationRow | null> {
  const rows = await db.query<ConversationRow>(`SELECT ${columns} FROM conversations WHERE id = $1::uuid`, [id], 'getConversation');
  return rows[0] ?? null;
}

/** The conversation the token opens, or null: a wrong token and a wrong id look the same. */
export async function getConversationByToken(db: Queryable, id: string, tokenHash: string): Promise<ConversationRow | null> {
  const rows = await db.query<ConversationRow>(
    `SELECT ${columns} FROM conversations WHERE id = $1::uuid AND token_hash = $2::text`,
    [id, tokenHash],
    'getConversationByToken',
  );
  return rows[0] ?? null;
}

export async function lockConversation(tx: Queryable, id: string): Promise<ConversationRow | null> {
  const rows = await tx.query<ConversationRow>(`SELECT ${columns} FROM conversations WHERE id = $1::uuid FOR UPDATE`, [id], 'lockConversation');
  return rows[0] ?? null;
}

export async function appendMessage(
  tx: Queryable,
  m: { conversationId: string; author: Author; text: string; itemId?: string | null; agentId?: string | null; needsRoute?: boolean },
): Promise<MessageRow> {
  const rows = await tx.query<MessageRow>(
    `WITH c AS (
       UPDATE conversations SET last_seq = last_seq + 1, updated_at = now() WHERE id = $1::uuid RETURNING last_seq
     )
     INSERT INTO conversation_messages (conversation_id, seq, author, text, item_id, agent_id, needs_route)
     SELECT $1::uuid, c.last_seq, $2::text, $3::text, $4::uuid, $5::uuid, $6::boolean FROM c
     RETURNING seq, author, text, item_id::text AS item_id, agent_id::text AS agent_id, created_at`,
    [m.conversationId, m.author, m.text, m.itemId ?? null, m.agentId ?? null, m.needsRoute ?? false],
    'appendMessage',
  );
  if (!rows[0]) throw new Error(`no conversation ${m.conversationId}`);
  return rows[0];
}

export async function listMessages(db: Queryable, conversationId: string, afterSeq = 0, limit = 500): Promise<MessageRow[]> {
  return db.query<MessageRow>(
    `SELECT seq, author, text, item_id::text AS item_id, agent_id::text AS agent_id, created_at
     FROM conversation_messages WHERE conversation_id = $1::uuid AND seq > $2::int ORDER BY seq LIMIT $3::int`,
    [conversationId, afterSeq, limit],
    'listMessages',
  );
}

/** The newest message number, without reading the messages (the long poll's cheap check). */
export async function lastSeq(db: Queryable, conversationId: string): Promise<{ last_seq: number; state: ConversationState } | null> {
  const rows = await db.query<{ last_seq: number; state: ConversationState }>(
    'SELECT last_seq, state FROM conversations WHERE id = $1::uuid',
    [conversationId],
    'conversationLastSeq',
  );
  return rows[0] ?? null;
}

/**
 * Customer messages within the last `seconds`, in this conversation and from this customer in
 * any conversation of the workflow, and when the oldest of them leaves the window.
 */
export async function recentCustomerMessages(
  db: Queryable,
  c: { conversationId: string; workflow: string; customerId: string; seconds: number },
): Promise<{ conversation: number; customer: number; oldest_at: Date | null }> {
  const rows = await db.query<{ conversation: number; customer: number; oldest_at: Date | null }>(
    `SELECT count(*) FILTER (WHERE m.conversation_id = $1::uuid)::int AS conversation, count(*)::int AS customer, min(m.created_at) AS oldest_at
     FROM conversations c JOIN conversation_messages m ON m.conversation_id = c.id
     WHERE c.workflow = $2::text AND c.customer_id = $3::text AND m.author = 'customer'
       AND m.created_at > now() - make_interval(secs => $4::int)`,
    [c.conversationId, c.workflow, c.customerId, c.seconds],
  );
  return rows[0] ?? { conversation: 0, customer: 0, oldest_at: null };
}

export async function markHandedOff(tx: Queryable, id: string, reasons: string[]): Promise<void> {
  await tx.query(
    `UPDATE conversations SET state = 'waiting', handoffs = handoffs + 1, handed_off_at = coalesce(handed_off_at, now()),
       handoff_reasons = ARRAY(SELECT DISTINCT unnest(handoff_reasons || $2::text[])), updated_at = now()
     WHERE id = $1::uuid`,
    [id, reasons],
  );
}

export async function markBotReplied(tx: Queryable, id: string, intent: string | null): Promise<void> {
  await tx.query(`UPDATE conversations SET bot_replies = bot_replies + 1, intent = coalesce($2::text, intent), updated_at = now() WHERE id = $1::uuid`, [id, intent]);
}

export async function setIntent(tx: Queryable, id: string, intent: string | null): Promise<void> {
  if (intent !== null) await tx.query('UPDATE conversations SET intent = $2::text WHERE id = $1::uuid', [id, intent]);
}

/** A person answered: the conversation is theirs from now on. */
export async function markHumanReplied(tx: Queryable, id: string, agentId: string): Promise<void> {
  await tx.query(
    `UPDATE conversations SET state = 'human', agent_id = $2::uuid, first_human_at = coalesce(first_human_at, now()), updated_at = now()
     WHERE id = $1::uuid`,
    [id, agentId],
  );
}

export async function setState(tx: Queryable, id: string, state: ConversationState): Promise<void> {
  await tx.query(
    `UPDATE conversations SET state = $2::text, closed_at = CASE WHEN $2::text = 'closed' THEN now() ELSE NULL END, updated_at = now()
     WHERE id = $1::uuid`,
    [id, state],
  );
}

export async function setRating(db: Queryable, id: string, rating: 'up' | 'down'): Promise<void> {
  await db.query('UPDATE conversations SET rating = $2::text, updated_at = now() WHERE id = $1::uuid', [id, rating]);
}

export async function listConversations(
  db: Queryable,
  f: { workflows: string[] | null; workflow: string | null; states: ConversationState[] | null; limit: number },
): Promise<ConversationRow[]> {
  return db.query<ConversationRow>(
    `SELECT ${columns} FROM conversations
     WHERE ($1::text[] IS NULL OR workflow = ANY($1::text[])) AND ($2::text IS NULL OR workflow = $2::text)
       AND ($3::text[] IS NULL OR state = ANY($3::text[]))
     ORDER BY updated_at DESC LIMIT $4::int`,
    [f.workflows, f.workflow, f.states, f.limit],
  );
}

export interface ConversationItemRow {
  id: string;
  text: string | null;
  prediction: unknown;
  route: unknown;
  status: string;
  created_at: Date;
  decision: { version: number; source: string; outcome: unknown; actor: string; reason: string; created_at: string } | null;
  open_task_id: string | null;
}

/** The items (customer messages the machine judged) of a conversation, each with its current decision. */
export async function conversationItems(db: Queryable, conversationId: string): Promise<ConversationItemRow[]> {
  return db.query<ConversationItemRow>(
    `SELECT i.id::text AS id, i.text, i.prediction, i.route, i.status, i.created_at,
            (SELECT jsonb_build_object('version', d.version, 'source', d.source, 'outcome', d.outcome, 'actor', d.actor, 'reason', d.reason, 'created_at', d.created_at)
               FROM decisions d WHERE d.item_id = i.id ORDER BY d.version DESC LIMIT 1) AS decision,
            (SELECT t.id::text FROM tasks t WHERE t.item_id = i.id AND t.status IN ('open', 'leased') LIMIT 1) AS open_task_id
     FROM conversation_messages m JOIN items i ON i.id = m.item_id
     WHERE m.conversation_id = $1::uuid AND m.author = 'customer'
     ORDER BY m.seq`,
    [conversationId],
  );
}

/** Open human work on the conversation's messages, cancelled when the conversation goes back to the bot or closes. */
export async function openConversationTasks(db: Queryable, conversationId: string): Promise<Array<{ id: string; item_id: string; kind: string }>> {
  return db.query<{ id: string; item_id: string; kind: string }>(
    `SELECT t.id::text AS id, t.item_id::text AS item_id, t.kind FROM conversation_messages m JOIN tasks t ON t.item_id = m.item_id
     WHERE m.conversation_id = $1::uuid AND t.status IN ('open', 'leased')`,
    [conversationId],
  );
}

/** Links the message to its item and marks it routed; false when another process routed it first. */
export async function linkMessageItem(tx: Queryable, conversationId: string, seq: number, itemId: string): Promise<boolean> {
  const rows = await tx.query(
    'UPDATE conversation_messages SET item_id = $3::uuid, needs_route = false WHERE conversation_id = $1::uuid AND seq = $2::int AND needs_route RETURNING seq',
    [conversationId, seq, itemId],
  );
  return rows.length > 0;
}

/** Customer messages whose route was never written (a crash in between), older than `seconds`. */
export async function unroutedMessages(db: Queryable, seconds: number, limit = 20): Promise<Array<MessageRow & { conversation_id: string }>> {
  return db.query(
    `SELECT conversation_id::text AS conversation_id, seq, author, text, item_id::text AS item_id, agent_id::text AS agent_id, created_at
     FROM conversation_messages WHERE needs_route AND created_at < now() - make_interval(secs => $1::int) ORDER BY created_at LIMIT $2::int`,
    [seconds, limit],
  );
}

/** Earlier customer messages of the customer in the workflow within `hours`, with the intent predicted for each. */
export async function customerContacts(
  db: Queryable,
  c: { workflow: string; customerId: string; hours: number; limit?: number },
): Promise<Array<{ conversation_id: string; intent: string | null; created_at: Date }>> {
  return db.query(
    `SELECT m.conversation_id::text AS conversation_id, i.prediction->>'label' AS intent, m.created_at
     FROM conversations c JOIN conversation_messages m ON m.conversation_id = c.id JOIN items i ON i.id = m.item_id
     WHERE c.workflow = $1::text AND c.customer_id = $2::text AND m.author = 'customer'
       AND m.created_at > now() - make_interval(hours => $3::int)
     ORDER BY m.created_at DESC LIMIT $4::int`,
    [c.workflow, c.customerId, c.hours, c.limit ?? 200],
  );
}

/**
 * What the customer's wait estimate needs: human work waiting in the workflow, the mean time
 * people took on its recent answers, and how many people worked it in the last 15 minutes.
 */
export async function handoffLoad(db: Queryable, workflow: string): Promise<{ queued: number; mean_handle_ms: number | null; active_agents: number; handoffs_last_15_min: number }> {
  const rows = await db.query<{ queued: number; mean_handle_ms: number | null; active_agents: number; handoffs_last_15_min: number }>(
    `SELECT
       (SELECT count(*)::int FROM tasks WHERE workflow = $1::text AND status IN ('open', 'leased') AND kind IN ('review', 'escalation')) AS queued,
       (SELECT avg(time_spent_ms)::float8 FROM (
          SELECT a.time_spent_ms FROM answers a JOIN tasks t ON t.id = a.task_id
          WHERE t.workflow = $1::text AND a.time_spent_ms IS NOT NULL ORDER BY a.created_at DESC LIMIT 50) recent) AS mean_handle_ms,
       (SELECT count(DISTINCT who)::int FROM (
          SELECT lease_owner AS who FROM tasks WHERE workflow = $1::text AND status = 'leased'
          UNION SELECT a.reviewer_id FROM answers a JOIN tasks t ON t.id = a.task_id
          WHERE t.workflow = $1::text AND a.created_at > now() - interval '15 minutes') people) AS active_agents,
       (SELECT count(*)::int FROM tasks WHERE workflow = $1::text AND kind IN ('review', 'escalation')
          AND created_at > now() - interval '15 minutes') AS handoffs_last_15_min`,
    [workflow],
  );
  return rows[0] ?? { queued: 0, mean_handle_ms: null, active_agents: 0, handoffs_last_15_min: 0 };
}

export interface ConversationFactsRow {
  intent: string | null;
  customer_messages: number;
  bot_replies: number;
  handoffs: number;
  handoff_reasons: string[];
  rating: 'up' | 'down' | null;
  created_at: Date;
  handed_off_at: Date | null;
  first_human_at: Date | null;
  closed_at: Date | null;
}

/** The conversations of the workflow started since `since`, with what the chat metrics count. */
export async function conversationFacts(db: Queryable, workflow: string, since: Date): Promise<ConversationFactsRow[]> {
  return db.query<ConversationFactsRow>(
    `SELECT c.intent, (SELECT count(*)::int FROM conversation_messages m WHERE m.conversation_id = c.id AND m.author = 'customer') AS customer_messages,
            c.bot_replies, c.handoffs, c.handoff_reasons, c.rating, c.created_at, c.handed_off_at, c.first_human_at, c.closed_at
     FROM conversations c WHERE c.workflow = $1::text AND c.created_at >= $2::timestamptz`,
    [workflow, since],
  );
}

/** Cancels the conversation's handoff tasks nobody has claimed: an agent took the conversation over directly. */
export async function cancelUnclaimedConversationTasks(tx: Queryable, conversationId: string): Promise<Array<{ id: string; item_id: string; workflow: string }>> {
  return tx.query(
    `UPDATE tasks t SET status = 'cancelled', updated_at = now()
     FROM conversation_messages m
     WHERE m.conversation_id = $1::uuid AND t.item_id = m.item_id AND t.status = 'open'
     RETURNING t.id::text AS id, t.item_id::text AS item_id, t.workflow`,
    [conversationId],
  );
}
