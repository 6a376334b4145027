// Chat notifications: targets (a Slack incoming webhook or a generic JSON URL) managed by admins
// and leads, and the notifier that turns the notable events of the outbox (urgent tasks, SLA
// breaches, reviewer demotions) into batched, rate-limited messages.
//
// Batching: an event waits `windowSeconds` after it happened, and everything pending for the
// target by then goes out as one message (up to 50 events). Rate limit: at most `perMinute`
// messages per target per minute; events that arrive meanwhile wait and join the next message.
// Nothing is lost while a target is down: the batch is retried with backoff (as webhooks are)
// and is only marked sent on a 2xx answer.
import { randomUUID } from 'node:crypto';
import { maxBatch, notifiableEventTypes, notificationBody, type NotificationFormat } from '../core/notifications.ts';
import { backoffMs, endpointUrlProblem } from '../core/webhooks.ts';
import type { Db } from '../store/db.ts';
import {
  deleteTarget, fanOutNotifications, getTarget, insertTarget, leaseDueTargets, listTargets, markFailed, markSent, pendingBatch, releaseTarget,
  type TargetRow,
} from '../store/notifications.ts';
import type { Engine } from './engine.ts';
import { invalid, notFound } from './errors.ts';
import { startPeriodic, type Periodic } from './periodic.ts';
import { actorName, isAdmin, mayAccess, requireAdmin, visibleWorkflows, type Principal } from './principals.ts';
import { ledWorkflow } from './workflows.ts';

export interface NewTarget {
  format: NotificationFormat;
  url: string;
  workflow?: string | null | undefined;
  description?: string | undefined;
  windowSeconds?: number | undefined;
  perMinute?: number | undefined;
}

/** Admins notify about any or all workflows; a lead about a workflow they lead. */
async function requireManager(engine: Engine, principal: Principal, workflow: string | null): Promise<void> {
  if (workflow === null) requireAdmin(principal);
  else await ledWorkflow(engine.db, engine.workflows, principal, workflow);
}

export async function createTarget(engine: Engine, principal: Principal, input: NewTarget): Promise<TargetRow> {
  const urlProblem = endpointUrlProblem(input.url);
  if (urlProblem) throw invalid(`the target URL ${urlProblem}`, [{ path: 'url', message: urlProblem }]);
  const workflow = input.workflow ?? null;
  await requireManager(engine, principal, workflow);
  return insertTarget(engine.db, {
    format: input.format, url: input.url, workflow, description: input.description ?? '',
    windowSeconds: input.windowSeconds ?? 10, perMinute: input.perMinute ?? 6, createdBy: actorName(principal),
  });
}

export async function visibleTargets(engine: Engine, principal: Principal): Promise<TargetRow[]> {
  if (!isAdmin(principal) && principal.kind === 'key') return [];
  return listTargets(engine.db, visibleWorkflows(principal));
}

/** A target the caller manages: 404 when they may not see it. */
export async function managedTarget(engine: Engine, principal: Principal, id: string): Promise<TargetRow> {
  const t = await getTarget(engine.db, id);
  if (!t || (t.workflow === null ? !isAdmin(principal) : !mayAccess(principal, t.workflow))) throw notFound(`no notification target ${id}`);
  await requireManager(engine, principal, t.workflow);
  return t;
}

export async function removeTarget(engine: Engine, principal: Principal, id: string): Promise<void> {
  await managedTarget(engine, principal, id);
  await deleteTarget(engine.db, id);
}

export interface NotifierOptions {
  /** How often to fan out and look for due messages (default 1 s). */
  intervalMs?: number;
  /** First retry delay ceiling; doubles per attempt (default 5 s). */
  baseDelayMs?: number;
  /** Largest retry delay (default 10 min); retries never stop. */
  maxDelayMs?: number;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Targets sent to at once by this process (default 16). */
  concurrency?: number;
  /** In [0, 1); for backoff jitter (tests pin it). */
  random?: () => number;
}

export interface Notifier extends Periodic {
  /** One fan-out and send pass. */
  runOnce(): Promise<void>;
}

export function startNotifier(db: Db, options: NotifierOptions, onError: (err: unknown) => void): Notifier {
  const o = {
    intervalMs: options.intervalMs ?? 1000,
    baseDelayMs: options.baseDelayMs ?? 5000,
    maxDelayMs: options.maxDelayMs ?? 600_000,
    timeoutMs: options.timeoutMs ?? 10_000,
    concurrency: options.concurrency ?? 16,
    random: options.random ?? Math.random,
  };
  const owner = `notifier:${randomUUID()}`;
  const leaseSeconds = Math.ceil(o.timeoutMs / 1000) + 30;
  const aborter = new AbortController();

  async function send(t: TargetRow): Promise<void> {
    try {
      const batch = await pendingBatch(db, t.id, maxBatch);
      if (batch.length === 0) return;
      const body = notificationBody(t.format, batch.map((n) => ({
        id: n.event_id, type: n.type, workflow: n.workflow, itemId: n.item_id, taskId: n.task_id, payload: n.payload, createdAt: n.event_created_at,
      })));
      const ids = batch.map((n) => n.id);
      let error: string;
      try {
        const res = await fetch(t.url, {
          method: 'POST',
          redirect: 'manual',
          signal: AbortSignal.any([AbortSignal.timeout(o.timeoutMs), aborter.signal]),
          headers: { 'content-type': 'application/json', 'user-agent': 'tandem-notifications' },
          body,
        });
        await res.body?.cancel();
        if (res.ok) {
          await markSent(db, ids);
          return;
        }
        error = `HTTP ${res.status}`;
      } catch (err) {
        error = err instanceof Error ? `${err.name}: ${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ''}` : String(err);
      }
      const attempt = Math.max(...batch.map((n) => n.attempts)) + 1;
      await markFailed(db, ids, error, backoffMs(attempt, { baseMs: o.baseDelayMs, capMs: o.maxDelayMs }, o.random()));
    } finally {
      await releaseTarget(db, t.id, owner);
    }
  }

  async function pass(): Promise<void> {
    await fanOutNotifications(db, notifiableEventTypes);
    const targets = await leaseDueTargets(db, owner, leaseSeconds, o.concurrency);
    // Each target is sent to independently: one slow or failing target does not fail the others.
    const results = await Promise.allSettled(targets.map(send));
    for (const r of results) if (r.status === 'rejected') onError(r.reason);
  }

  const periodic = startPeriodic(pass, o.intervalMs, onError);
  return {
    runOnce: pass,
    async stop() {
      await periodic.stop();
      aborter.abort();
    },
  };
}
