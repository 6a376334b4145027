// Webhook endpoints (Standard Webhooks): subscribe a URL to a workflow's (or, for admins, every
// workflow's) events, rotate its signing secret, read the delivery log, send deliveries again.
import { z } from 'zod';
import { webhookEventTypes } from '../../core/webhooks.ts';
import { createEndpoint, deliveryLog, managedEndpoint, redeliver, removeEndpoint, rotateSecret, visibleEndpoints } from '../../engine/webhooks.ts';
import type { DeliveryRow, EndpointRow } from '../../store/webhooks.ts';
import { defineRoute } from '../route.ts';

function endpointView(e: EndpointRow) {
  return {
    id: e.id, url: e.url, workflow: e.workflow, eventTypes: e.event_types, description: e.description,
    previousSecretExpiresAt: e.previous_secret && e.previous_secret_until && e.previous_secret_until > new Date() ? e.previous_secret_until.toISOString() : null,
    createdBy: e.created_by, createdAt: e.created_at.toISOString(),
  };
}

function deliveryView(d: DeliveryRow) {
  return {
    id: d.id, eventId: d.event_id, eventType: d.event_type, status: d.status, attempts: d.attempts,
    nextAttemptAt: d.status === 'pending' ? d.next_attempt_at.toISOString() : null,
    firstAttemptAt: d.first_attempt_at?.toISOString() ?? null, lastAttemptAt: d.last_attempt_at?.toISOString() ?? null,
    lastStatus: d.last_status, lastError: d.last_error, deliveredAt: d.delivered_at?.toISOString() ?? null, createdAt: d.created_at.toISOString(),
  };
}

const endpointOut = z.looseObject({ id: z.string(), url: z.string(), workflow: z.string().nullable(), eventTypes: z.array(z.string()) });
const withSecret = endpointOut.extend({ secret: z.string().describe('whsec_… signing secret; shown only here') });
const deliveryOut = z.looseObject({ id: z.string(), eventId: z.string(), status: z.enum(['pending', 'delivered', 'dead']), attempts: z.number().int() });
const idParam = z.object({ id: z.uuid('must be a webhook endpoint id (a UUID)') });

export const webhookRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v1/webhooks',
    tag: 'webhooks',
    summary: 'Subscribe an endpoint',
    description:
      `Admins may subscribe to every workflow (no \`workflow\`); leads to a workflow they lead. \`eventTypes\` filters (empty: all): ${webhookEventTypes.join(', ')}. ` +
      'Deliveries carry the Standard Webhooks headers webhook-id (the event id), webhook-timestamp and webhook-signature. The signing secret is answered here and on rotation only.',
    body: z
      .object({
        url: z.string().min(1).max(2000),
        workflow: z.string().min(1).max(63).nullable().optional(),
        eventTypes: z.array(z.string().max(100)).max(50).optional(),
        description: z.string().max(500).optional(),
      })
      .strict(),
    responses: { 201: { description: 'The endpoint, with its secret', schema: withSecret } },
    async handle({ engine, principal, body }) {
      const { endpoint, secret } = await createEndpoint(engine, principal, body);
      return { status: 201, body: { ...endpointView(endpoint), secret } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/webhooks',
    tag: 'webhooks',
    summary: 'List endpoints',
    description: 'The endpoints the caller manages, newest first, without secrets.',
    responses: { 200: { description: 'Endpoints', schema: z.object({ endpoints: z.array(endpointOut) }) } },
    async handle({ engine, principal }) {
      return { status: 200, body: { endpoints: (await visibleEndpoints(engine, principal)).map(endpointView) } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/webhooks/{id}',
    tag: 'webhooks',
    summary: 'Get an endpoint',
    params: idParam,
    responses: { 200: { description: 'The endpoint, without its secret', schema: endpointOut } },
    async handle({ engine, principal, params }) {
      return { status: 200, body: endpointView(await managedEndpoint(engine, principal, params.id)) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/webhooks/{id}',
    tag: 'webhooks',
    summary: 'Delete an endpoint',
    description: 'Stops deliveries to it and drops its delivery log.',
    params: idParam,
    responses: { 204: { description: 'Deleted' } },
    async handle({ engine, principal, params }) {
      await removeEndpoint(engine, principal, params.id);
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/webhooks/{id}/rotate-secret',
    tag: 'webhooks',
    summary: 'Rotate the signing secret',
    description:
      'A new secret signs from now on. For `graceSeconds` (default 86400) the old one signs too: webhook-signature then carries both signatures, space-separated, so receivers can switch at leisure.',
    params: idParam,
    body: z.object({ graceSeconds: z.number().int().min(0).max(30 * 86400).optional() }).strict(),
    responses: { 200: { description: 'The endpoint, with its new secret', schema: withSecret } },
    async handle({ engine, principal, params, body }) {
      const { endpoint, secret } = await rotateSecret(engine, principal, params.id, body.graceSeconds ?? 86400);
      return { status: 200, body: { ...endpointView(endpoint), secret } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/webhooks/{id}/deliveries',
    tag: 'webhooks',
    summary: 'Delivery log',
    description: 'Deliveries to the endpoint, newest first: status, attempts, last HTTP status or error, next attempt.',
    params: idParam,
    query: z.object({ status: z.enum(['pending', 'delivered', 'dead']).optional(), limit: z.coerce.number().int().min(1).max(1000).optional() }).strict(),
    responses: { 200: { description: 'Deliveries', schema: z.object({ deliveries: z.array(deliveryOut) }) } },
    async handle({ engine, principal, params, query }) {
      const rows = await deliveryLog(engine, principal, params.id, query.status ?? null, query.limit ?? 100);
      return { status: 200, body: { deliveries: rows.map(deliveryView) } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver',
    tag: 'webhooks',
    summary: 'Send a delivery again',
    description: 'Queues the delivery (whatever its status) as due now, with a fresh retry budget.',
    params: idParam.extend({ deliveryId: z.string().regex(/^\d{1,18}$/, 'must be a delivery id') }),
    responses: { 202: { description: 'Queued', schema: deliveryOut } },
    async handle({ engine, principal, params }) {
      const [row] = await redeliver(engine, principal, params.id, params.deliveryId);
      return { status: 202, body: deliveryView(row!) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/webhooks/{id}/redeliver-dead',
    tag: 'webhooks',
    summary: 'Send every dead delivery again',
    params: idParam,
    responses: { 202: { description: 'Queued deliveries', schema: z.object({ requeued: z.number().int(), deliveries: z.array(deliveryOut) }) } },
    async handle({ engine, principal, params }) {
      const rows = await redeliver(engine, principal, params.id, null);
      return { status: 202, body: { requeued: rows.length, deliveries: rows.map(deliveryView) } };
    },
  }),
];
