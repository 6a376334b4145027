// Webhooks: subscriptions (endpoints) managed by admins and leads, and the dispatcher that
// delivers the events outbox to them following Standard Webhooks (webhook-id = the event id,
// webhook-timestamp, webhook-signature = v1,<HMAC-SHA256 of "id.timestamp.body">).
//
// Ordering: per endpoint, deliveries go out strictly one after another in fan-out order; event
// n+1 is not sent while event n waits for a retry. Receivers that track state (a decision then
// its correction) then never see them reversed, at the price that one failing event delays the
// ones behind it for that endpoint (until it is delivered or dead, at most the maximum age).
// Endpoints are independent: each is sent to by its own worker with a per-request timeout, so a
// slow or failing receiver holds up nobody else.
import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { backoffMs, endpointUrlProblem, webhookBody, webhookEventTypes } from '../core/webhooks.ts';
import type { Db } from '../store/db.ts';
import {
  deleteEndpoint, fanOutEvents, getEndpoint, headDelivery, insertEndpoint, leaseDueEndpoints, listDeliveries, listEndpoints,
  markDelivered, markFailed, releaseEndpoint, requeueDeliveries, rotateEndpointSecret,
  type DeliveryRow, type DeliveryStatus, type EndpointRow,
} from '../store/webhooks.ts';
import type { Engine } from './engine.ts';
import { invalid, notFound } from './errors.ts';
import { startPeriodic, type Periodic } from './periodic.ts';
import { actorName, isAdmin, mayAccess, requireAdmin, visibleWorkflows, type Principal } from './principals.ts';
import { ledWorkflow } from './workflows.ts';

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export interface NewEndpoint {
  url: string;
  workflow?: string | null | undefined;
  eventTypes?: string[] | undefined;
  description?: string | undefined;
}

/** An endpoint with its secret: answered on create and rotate only. */
export interface EndpointWithSecret {
  endpoint: EndpointRow;
  secret: string;
}

/** Admins subscribe to any or all workflows; a lead to one workflow they lead. */
async function requireManager(engine: Engine, principal: Principal, workflow: string | null): Promise<void> {
  if (workflow === null) requireAdmin(principal);
  else await ledWorkflow(engine.db, engine.workflows, principal, workflow);
}

export async function createEndpoint(engine: Engine, principal: Principal, input: NewEndpoint): Promise<EndpointWithSecret> {
  const urlProblem = endpointUrlProblem(input.url);
  if (urlProblem) throw invalid(`the endpoint URL ${urlProblem}`, [{ path: 'url', message: urlProblem }]);
  const known = new Set<string>(webhookEventTypes);
  const types = [...new Set(input.eventTypes ?? [])];
  const unknown = types.map((t, i) => ({ t, i })).filter(({ t }) => !known.has(t));
  if (unknown.length > 0) {
    throw invalid(
      `unknown event type${unknown.length > 1 ? 's' : ''} ${unknown.map(({ t }) => `"${t}"`).join(', ')}; known: ${webhookEventTypes.join(', ')}`,
      unknown.map(({ t, i }) => ({ path: `eventTypes.${i}`, message: `"${t}" is not an event type` })),
    );
  }
  const workflow = input.workflow ?? null;
  await requireManager(engine, principal, workflow);
  const secret = newWebhookSecret();
  const endpoint = await insertEndpoint(engine.db, { url: input.url, workflow, eventTypes: types, description: input.description ?? '', secret, createdBy: actorName(principal) });
  return { endpoint, secret };
}

export async function visibleEndpoints(engine: Engine, principal: Principal): Promise<EndpointRow[]> {
  if (!isAdmin(principal) && principal.kind === 'key') return [];
  return listEndpoints(engine.db, visibleWorkflows(principal));
}

/** An endpoint the caller manages: 404 when they may not see it. */
export async function managedEndpoint(engine: Engine, principal: Principal, id: string): Promise<EndpointRow> {
  const ep = await getEndpoint(engine.db, id);
  if (!ep || (ep.workflow === null ? !isAdmin(principal) : !mayAccess(principal, ep.workflow))) throw notFound(`no webhook endpoint ${id}`);
  await requireManager(engine, principal, ep.workflow);
  return ep;
}

export async function removeEndpoint(engine: Engine, principal: Principal, id: string): Promise<void> {
  await managedEndpoint(engine, principal, id);
  await deleteEndpoint(engine.db, id);
}

/** A new secret signs from now on; the old one signs alongside it for `graceSeconds`. */
export async function rotateSecret(engine: Engine, principal: Principal, id: string, graceSeconds: number): Promise<EndpointWithSecret> {
  await managedEndpoint(engine, principal, id);
  const secret = newWebhookSecret();
  const endpoint = await rotateEndpointSecret(engine.db, id, secret, graceSeconds);
  if (!endpoint) throw notFound(`no webhook endpoint ${id}`);
  return { endpoint, secret };
}

export async function deliveryLog(engine: Engine, principal: Principal, id: string, status: DeliveryStatus | null, limit: number): Promise<DeliveryRow[]> {
  await managedEndpoint(engine, principal, id);
  return listDeliveries(engine.db, id, status, limit);
}

/** Sends one delivery again, or (deliveryId null) every dead one of the endpoint. */
export async function redeliver(engine: Engine, principal: Principal, id: string, deliveryId: string | null): Promise<DeliveryRow[]> {
  await managedEndpoint(engine, principal, id);
  const rows = await requeueDeliveries(engine.db, id, deliveryId);
  if (deliveryId !== null && rows.length === 0) throw notFound(`no delivery ${deliveryId} of webhook endpoint ${id}`);
  return rows;
}

/** The webhook-signature header: the current secret's signature, and the previous one's during its grace. */
export function signatureHeader(ep: Pick<EndpointRow, 'secret' | 'previous_secret' | 'previous_secret_until'>, msgId: string, at: Date, body: string): string {
  const sigs = [new Webhook(ep.secret).sign(msgId, at, body)];
  if (ep.previous_secret && ep.previous_secret_until && ep.previous_secret_until > at) sigs.push(new Webhook(ep.previous_secret).sign(msgId, at, body));
  return sigs.join(' ');
}

export interface DispatcherOptions {
  /** How often to fan out and look for due deliveries (default 1 s). */
  intervalMs?: number;
  /** First retry delay ceiling; doubles per attempt (default 5 s). */
  baseDelayMs?: number;
  /** Largest retry delay (default 1 h). */
  maxDelayMs?: number;
  /** Retries stop, and the delivery is dead, once its first attempt is this old (default 24 h). */
  maxAgeMs?: number;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Deliveries one worker sends to an endpoint before giving others a turn (default 50). */
  batch?: number;
  /** Endpoints sent to at once by this process (default 32). */
  concurrency?: number;
  /** In [0, 1); for backoff jitter (tests pin it). */
  random?: () => number;
}

export interface Dispatcher extends Periodic {
  /** One fan-out and send pass; resolves when the workers it started have finished. */
  runOnce(): Promise<void>;
}

export function startWebhookDispatcher(db: Db, options: DispatcherOptions, onError: (err: unknown) => void): Dispatcher {
  const o = {
    intervalMs: options.intervalMs ?? 1000,
    baseDelayMs: options.baseDelayMs ?? 5000,
    maxDelayMs: options.maxDelayMs ?? 3_600_000,
    maxAgeMs: options.maxAgeMs ?? 24 * 3_600_000,
    timeoutMs: options.timeoutMs ?? 10_000,
    batch: options.batch ?? 50,
    concurrency: options.concurrency ?? 32,
    random: options.random ?? Math.random,
  };
  const owner = `dispatcher:${randomUUID()}`;
  // A lease outlives the longest batch a worker may send, so another process never sends alongside.
  const leaseSeconds = Math.ceil((o.batch * o.timeoutMs) / 1000) + 30;
  const workers = new Map<string, Promise<void>>();
  const aborter = new AbortController();

  async function sendOne(ep: EndpointRow): Promise<boolean> {
    const d = await headDelivery(db, ep.id);
    if (!d || !d.due) return false;
    const body = webhookBody({ id: d.event_id, type: d.type, workflow: d.workflow, itemId: d.item_id, taskId: d.task_id, payload: d.payload, createdAt: d.event_created_at });
    const at = new Date();
    let status: number | null = null;
    let error = '';
    try {
      const res = await fetch(ep.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(o.timeoutMs), aborter.signal]),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'tandem-webhooks',
          'webhook-id': d.event_id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signatureHeader(ep, d.event_id, at, body),
        },
        body,
      });
      status = res.status;
      await res.body?.cancel();
      if (res.ok) {
        await markDelivered(db, d.id, res.status);
        return true;
      }
      error = `HTTP ${res.status}`;
    } catch (err) {
      error = err instanceof Error ? `${err.name}: ${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ''}` : String(err);
    }
    const attempt = d.attempts + 1;
    const dead = d.age_ms >= o.maxAgeMs && attempt > 1;
    await markFailed(db, d.id, { status, error, retryInMs: backoffMs(attempt, { baseMs: o.baseDelayMs, capMs: o.maxDelayMs }, o.random()), dead });
    // A dead delivery no longer blocks the ones behind it.
    return dead;
  }

  async function work(ep: EndpointRow): Promise<void> {
    try {
      for (let i = 0; i < o.batch && !aborter.signal.aborted; i++) {
        if (!(await sendOne(ep))) break;
      }
    } finally {
      await releaseEndpoint(db, ep.id, owner);
    }
  }

  async function pass(): Promise<void> {
    await fanOutEvents(db);
    const room = o.concurrency - workers.size;
    if (room <= 0) return;
    const eps = await leaseDueEndpoints(db, owner, leaseSeconds, room, [...workers.keys()]);
    for (const ep of eps) {
      // Not awaited by the pass: a slow endpoint's worker runs on while later passes serve others.
      const w = work(ep)
        .catch(onError)
        .finally(() => workers.delete(ep.id));
      workers.set(ep.id, w);
    }
  }

  const periodic = startPeriodic(pass, o.intervalMs, onError);
  return {
    async runOnce() {
      await pass();
      await Promise.all(workers.values());
    },
    async stop() {
      await periodic.stop();
      aborter.abort();
      await Promise.all(workers.values());
    },
  };
}
