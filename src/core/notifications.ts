// Pure parts of chat notifications: which outbox events are worth a person's attention, and the
// message a batch of them becomes (Slack incoming-webhook `text` + `blocks`, or generic JSON).
import type { OutboxEvent } from './webhooks.ts';

export const notificationFormats = ['slack', 'json'] as const;
export type NotificationFormat = (typeof notificationFormats)[number];

/** The event types a notification can come from; fan-out narrows further with `isNotable`. */
export const notifiableEventTypes = ['task.created', 'task.overdue', 'reviewer.demoted', 'surge.changed'] as const;

export type NotificationKind = 'urgent_task' | 'sla_breach' | 'reviewer_demoted' | 'surge';

/**
 * Why an event deserves a message, or null: urgent = an escalation or a task with raised
 * priority; a surge change = one made while the workflow's surge policy has `notify` in effect.
 */
export function notificationKind(e: Pick<OutboxEvent, 'type' | 'payload'>): NotificationKind | null {
  if (e.type === 'task.overdue') return 'sla_breach';
  if (e.type === 'reviewer.demoted') return 'reviewer_demoted';
  if (e.type === 'surge.changed') return e.payload.notify === true ? 'surge' : null;
  if (e.type === 'task.created') {
    // A surge's boost is not urgency of its own: the surge says when to notify (its notify step).
    const boost = typeof e.payload.surgeBoost === 'number' ? e.payload.surgeBoost : 0;
    const priority = (typeof e.payload.priority === 'number' ? e.payload.priority : 0) - boost;
    return e.payload.kind === 'escalation' || priority > 0 ? 'urgent_task' : null;
  }
  return null;
}

/** Slack's mrkdwn control characters; anything else in untrusted text is shown as typed. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function str(v: unknown, fallback = '?'): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : fallback;
}

function percent(v: unknown): string {
  return typeof v === 'number' ? `${Math.round(v * 100)}%` : '?';
}

/** One line of plain text for an event (escaping is the caller's, per format). */
export function eventSummary(e: OutboxEvent): { kind: NotificationKind | null; text: string } {
  const kind = notificationKind(e);
  const wf = e.workflow ?? '?';
  const p = e.payload;
  switch (kind) {
    case 'urgent_task':
      return {
        kind,
        text: p.kind === 'escalation'
          ? `Escalation waits in queue ${str(p.queue)} of ${wf} (item ${e.itemId ?? '?'})`
          : `Urgent ${str(p.kind, 'review')} task (priority ${str(p.priority)}) waits in queue ${str(p.queue)} of ${wf}`,
      };
    case 'sla_breach':
      return { kind, text: `SLA breached in ${wf}: task ${e.taskId ?? '?'} was due ${str(p.dueAt)}` };
    case 'surge':
      return {
        kind,
        // Switching notify off is the last message of a surge: the rest reverts without one.
        text: p.action === 'notify' && p.direction === 'off'
          ? `Surge easing in ${wf}: ${str(p.reason)}; the other steps revert as the load falls`
          : `Surge in ${wf}: ${p.direction === 'off' ? 'reverted' : 'took'} "${str(p.action)}": ${str(p.reason)}`,
      };
    case 'reviewer_demoted':
      return { kind, text: `Reviewer ${str(p.email, str(p.reviewer))} was demoted in ${wf}: gold accuracy ${percent(p.accuracy)} below ${percent(p.floor)} over ${str(p.answers)} answers` };
    default:
      return { kind, text: `${e.type} in ${wf}` };
  }
}

const icons: Record<NotificationKind, string> = { urgent_task: ':rotating_light:', sla_breach: ':hourglass:', reviewer_demoted: ':arrow_down:', surge: ':ocean:' };

/** Slack caps a message at 50 blocks; a batch never exceeds it. */
export const maxBatch = 50;

export interface SlackMessage {
  text: string;
  blocks: Array<{ type: 'section'; text: { type: 'mrkdwn'; text: string } }>;
}

/** A Slack incoming-webhook message: `text` is the notification fallback, one block per event. */
export function slackMessage(events: readonly OutboxEvent[]): SlackMessage {
  const lines = events.map(eventSummary);
  const workflows = [...new Set(events.map((e) => e.workflow ?? '?'))];
  const text = lines.length === 1
    ? slackEscape(lines[0]!.text)
    : `${lines.length} Tandem notifications (${slackEscape(workflows.join(', '))})`;
  return {
    text,
    blocks: lines.map((l) => ({ type: 'section', text: { type: 'mrkdwn', text: `${l.kind ? icons[l.kind] : ':bell:'} ${slackEscape(l.text)}` } })),
  };
}

/** The generic JSON message: the events themselves, with their kind and a readable summary. */
export function jsonMessage(events: readonly OutboxEvent[]): { events: Array<Record<string, unknown>> } {
  return {
    events: events.map((e) => {
      const s = eventSummary(e);
      return { id: e.id, type: e.type, kind: s.kind, summary: s.text, workflow: e.workflow, itemId: e.itemId, taskId: e.taskId, payload: e.payload, createdAt: e.createdAt.toISOString() };
    }),
  };
}

export function notificationBody(format: NotificationFormat, events: readonly OutboxEvent[]): string {
  return JSON.stringify(format === 'slack' ? slackMessage(events) : jsonMessage(events));
}
