// The live feed behind the web app's Server-Sent Events: queue depths and newly created urgent
// tasks. One poller per process reads the outbox's high-water mark once a second while anyone
// listens, and recounts the queues only when something happened; it reads the database, so work
// created through any process shows up. (A NOTIFY per task would cost every submit a
// cluster-wide lock at commit; see store/items.ts.)
import { startPeriodic, type Periodic } from './periodic.ts';
import type { Queryable } from '../store/db.ts';
import { handoffsSince, latestEventId, urgentTasksSince } from '../store/live.ts';
import { queueDepths, type QueueDepth } from '../store/tasks.ts';

export interface QueueView {
  workflow: string;
  queue: string;
  open: number;
  leased: number;
  oldestDueAt: string | null;
}

export type LiveMessage =
  | { type: 'queues'; queues: QueueView[] }
  | { type: 'urgent'; workflow: string; itemId: string; taskId: string; kind: string; queue: string; priority: number; createdAt: string }
  /** A customer in a live chat was handed to a person (reply workflows). */
  | { type: 'handoff'; workflow: string; conversationId: string; itemId: string; route: string; reasons: string[]; waitSeconds: number | null; createdAt: string };

export interface Listener {
  /** Workflows the listener may see; null for all. */
  workflows: string[] | null;
  /** Leads see escalations. */
  lead: boolean;
  send(message: LiveMessage): void;
}

export interface LiveFeed {
  /** Starts sending to the listener what happens from now on; resolves to its unsubscribe. */
  subscribe(listener: Listener): Promise<() => void>;
  close(): Promise<void>;
}

export function queueView(q: QueueDepth): QueueView {
  return { workflow: q.workflow, queue: q.queue, open: q.open, leased: q.leased, oldestDueAt: q.oldest_due_at?.toISOString() ?? null };
}

const visibleTo = (l: Listener, workflow: string) => l.workflows === null || l.workflows.includes(workflow);

export function createLiveFeed(db: Queryable, intervalMs = 1000, onError: (err: unknown) => void = () => {}): LiveFeed {
  const listeners = new Set<Listener>();
  let seen: string | null = null;
  let poller: Periodic | null = null;

  const poll = async () => {
    const latest = await latestEventId(db);
    if (seen === null || latest === seen) return;
    const [urgent, depths, handoffs] = await Promise.all([urgentTasksSince(db, seen), queueDepths(db, null), handoffsSince(db, seen)]);
    seen = latest;
    const queues = depths.map(queueView);
    for (const l of listeners) {
      l.send({ type: 'queues', queues: queues.filter((q) => visibleTo(l, q.workflow)) });
      for (const u of urgent) {
        if (!visibleTo(l, u.workflow) || (u.kind === 'escalation' && !l.lead)) continue;
        l.send({ type: 'urgent', workflow: u.workflow, itemId: u.item_id, taskId: u.task_id, kind: u.kind, queue: u.queue, priority: u.priority, createdAt: u.created_at.toISOString() });
      }
      for (const h of handoffs) {
        if (!visibleTo(l, h.workflow) || (h.route === 'escalate' && !l.lead)) continue;
        l.send({ type: 'handoff', workflow: h.workflow, conversationId: h.conversation_id, itemId: h.item_id, route: h.route, reasons: h.reasons, waitSeconds: h.wait_seconds, createdAt: h.created_at.toISOString() });
      }
    }
  };

  return {
    async subscribe(listener) {
      // The cursor is set before the caller sends its first snapshot: nothing after that is missed.
      if (seen === null) seen = await latestEventId(db);
      listeners.add(listener);
      poller ??= startPeriodic(poll, intervalMs, onError);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && poller) {
          const p = poller;
          poller = null;
          seen = null;
          void p.stop();
        }
      };
    },
    async close() {
      listeners.clear();
      const p = poller;
      poller = null;
      await p?.stop();
    },
  };
}
