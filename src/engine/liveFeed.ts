// The live feed behind the web app's Server-Sent Events: queue depths and newly created urgent
// tasks. One poller per process reads the outbox's high-water mark once a second while anyone
// listens, and recounts the queues only when something happened; it reads the database, so work
// created through any process shows up. (A NOTIFY per task would cost every submit a
// cluster-wide lock at commit; see store/items.ts.)
//
// Urgent tasks and hand-offs are read from the outbox, which is cheap at any size. The queue
// count is not: it reads every waiting task, so it grows with the surge it reports. In bench scale,
// at 20,000–80,000 waiting tasks, it took 28–117 ms, sometimes on three backends (a parallel
// scan), once a second in each process. So the count waits after each run for `recountFactor`
// times as long as that run took (by default it keeps to 2 % of a backend), at least the poll
// interval and at most `maxRecountGapMs`; a small queue is still recounted every second. A new
// stream's first depths come from that count while no new one is due.
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
  /** The queue depths the listener may see, for its first message: the feed's own count while it is fresh. */
  snapshot(workflows: string[] | null): Promise<QueueView[]>;
  close(): Promise<void>;
}

export function queueView(q: QueueDepth): QueueView {
  return { workflow: q.workflow, queue: q.queue, open: q.open, leased: q.leased, oldestDueAt: q.oldest_due_at?.toISOString() ?? null };
}

const visibleTo = (l: Listener, workflow: string) => l.workflows === null || l.workflows.includes(workflow);

/** Recounts wait this many times as long as the last count took (at most 2 % of a backend's time). */
export const recountFactor = 50;
/** The longest the queue depths go without a recount while something happens. */
export const maxRecountGapMs = 30_000;

/** When the queues may be counted again, after a count that ended at `endedAt` and took `tookMs`. */
export function nextRecountAt(endedAt: number, tookMs: number, intervalMs: number, factor = recountFactor): number {
  return endedAt + Math.min(maxRecountGapMs, Math.max(intervalMs, tookMs * factor));
}

export interface LiveFeedOptions {
  intervalMs?: number;
  onError?: (err: unknown) => void;
  /** As `recountFactor`; for tests. */
  recountFactor?: number;
}

export function createLiveFeed(db: Queryable, options: LiveFeedOptions = {}): LiveFeed {
  const intervalMs = options.intervalMs ?? 1000;
  const listeners = new Set<Listener>();
  let seen: string | null = null;
  // The outbox position the last count saw, its depths, and when the next count may run.
  let counted: string | null = null;
  let lastCount: QueueView[] | null = null;
  let countDueAt = 0;
  let poller: Periodic | null = null;

  const broadcast = (each: (l: Listener) => void) => {
    for (const l of listeners) each(l);
  };

  // A count already under way is shared: streams that open at the same moment, and the poller
  // beside them, wait for it instead of each starting their own.
  let counting: Promise<QueueView[]> | null = null;
  const count = (): Promise<QueueView[]> =>
    (counting ??= (async () => {
      const started = Date.now();
      const depths = await queueDepths(db, null);
      const ended = Date.now();
      countDueAt = nextRecountAt(ended, ended - started, intervalMs, options.recountFactor);
      lastCount = depths.map(queueView);
      return lastCount;
    })().finally(() => {
      counting = null;
    }));

  const recount = async (latest: string) => {
    const queues = await count();
    counted = latest;
    broadcast((l) => l.send({ type: 'queues', queues: queues.filter((q) => visibleTo(l, q.workflow)) }));
  };

  const poll = async () => {
    const latest = await latestEventId(db);
    if (seen === null) return;
    if (latest !== seen) {
      const [urgent, handoffs] = await Promise.all([urgentTasksSince(db, seen), handoffsSince(db, seen)]);
      seen = latest;
      broadcast((l) => {
        for (const u of urgent) {
          if (!visibleTo(l, u.workflow) || (u.kind === 'escalation' && !l.lead)) continue;
          l.send({ type: 'urgent', workflow: u.workflow, itemId: u.item_id, taskId: u.task_id, kind: u.kind, queue: u.queue, priority: u.priority, createdAt: u.created_at.toISOString() });
        }
        for (const h of handoffs) {
          if (!visibleTo(l, h.workflow) || (h.route === 'escalate' && !l.lead)) continue;
          l.send({ type: 'handoff', workflow: h.workflow, conversationId: h.conversation_id, itemId: h.item_id, route: h.route, reasons: h.reasons, waitSeconds: h.wait_seconds, createdAt: h.created_at.toISOString() });
        }
      });
    }
    // A count put off while work came in still runs once the work stops, so the last depths shown are true.
    if (counted !== latest && Date.now() >= countDueAt) await recount(latest);
  };

  return {
    async subscribe(listener) {
      // The cursor is set before the caller sends its first snapshot: nothing after that is missed.
      if (seen === null) counted = seen = await latestEventId(db);
      listeners.add(listener);
      poller ??= startPeriodic(poll, intervalMs, options.onError ?? (() => {}));
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && poller) {
          const p = poller;
          poller = null;
          seen = counted = lastCount = null;
          void p.stop();
        }
      };
    },
    async snapshot(workflows) {
      // Dashboards that open together (a surge brings the leads) share one count instead of each
      // making its own. Whatever happened since that count is sent when the next one is due.
      const queues = lastCount !== null && Date.now() < countDueAt ? lastCount : await count();
      return queues.filter((q) => workflows === null || workflows.includes(q.workflow));
    },
    async close() {
      listeners.clear();
      const p = poller;
      poller = null;
      await p?.stop();
    },
  };
}
