// Pure parts of webhook delivery: which events an endpoint wants, how long to wait before the
// next attempt, and the payload an event is sent as (the Standard Webhooks `type/timestamp/data`
// shape).

/** Every event type the outbox writes; a subscription may name only these. */
export const webhookEventTypes = [
  'audit.confirmed',
  'audit.overturned',
  'consensus.disagreed',
  'conversation.agent_message',
  'conversation.closed',
  'conversation.handed_back',
  'conversation.handed_off',
  'conversation.rated',
  'conversation.started',
  'decision.corrected',
  'decision.made',
  'gold.scored',
  'item.revealed',
  'item.routed',
  'model.trained',
  'policy.tuned',
  'reply.sent',
  'reviewer.demoted',
  'task.answered',
  'task.cancelled',
  'task.claimed',
  'task.created',
  'task.escalated',
  'task.lease_expired',
  'task.overdue',
  'task.released',
  'workflow.label_added',
] as const;

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

/**
 * Exponential backoff with full jitter: uniformly random in [0, min(cap, base * 2^(attempt-1))].
 * Full jitter spreads the retries of many endpoints that failed together (a receiver's outage)
 * instead of having them all come back at once. `random` is in [0, 1).
 */
export function backoffMs(attempt: number, options: BackoffOptions, random: number): number {
  const exp = Math.min(options.capMs, options.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40));
  return Math.floor(Math.min(Math.max(random, 0), 1) * exp);
}

export interface OutboxEvent {
  id: string;
  type: string;
  workflow: string | null;
  itemId: string | null;
  taskId: string | null;
  payload: Record<string, unknown>;
  createdAt: Date;
}

/** The body sent for an event; the same bytes on every attempt, so a receiver can dedupe by webhook-id. */
export function webhookBody(e: OutboxEvent): string {
  return JSON.stringify({
    type: e.type,
    timestamp: e.createdAt.toISOString(),
    data: { eventId: e.id, workflow: e.workflow, itemId: e.itemId, taskId: e.taskId, ...e.payload },
  });
}

/** Problems with an endpoint URL, or null when it is an absolute http(s) URL without credentials. */
export function endpointUrlProblem(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'must be an absolute URL (https://host/path)';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'must be an http or https URL';
  if (u.username || u.password) return 'may not carry a user name or password; the signature authenticates the sender';
  if (u.hash) return 'may not have a #fragment';
  return null;
}
