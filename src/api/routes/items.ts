import { z } from 'zod';
import { correctDecision } from '../../engine/decide.ts';
import { invalid } from '../../engine/errors.ts';
import { awaitDecision, itemHistory, readItem } from '../../engine/items.ts';
import { parseOutcome } from '../../engine/outcomes.ts';
import { submitItem } from '../../engine/submit.ts';
import { inputFor, revealItem } from '../../engine/privacy.ts';
import { isLead, visibleWorkflows } from '../../engine/principals.ts';
import { hideMachineDecision } from '../../engine/blind.ts';
import { maskPii } from '../../core/pii.ts';
import { searchItems } from '../../store/itemSearch.ts';
import { defineRoute } from '../route.ts';
import { decisionView, itemView } from '../views.ts';
import { outcomeBody } from './outcomeBody.ts';

const jsonObject = z.record(z.string(), z.unknown());
const idParam = z.object({ id: z.uuid('must be an item id (a UUID)').describe('Item id') });

const submitBody = z
  .object({
    text: z.string().max(100_000).nullable().optional().describe('Free text of the item (message, document, comment)'),
    fields: jsonObject.optional().describe('Structured fields, checked against the workflow\'s inputSchema'),
    metadata: jsonObject.optional().describe('Context: customer segment, channel, amount, language…'),
    idempotencyKey: z.string().min(1).max(200).optional().describe('Same as the Idempotency-Key header'),
  })
  .strict();

const submitted = z.object({
  id: z.string(),
  workflow: z.string(),
  status: z.enum(['pending', 'decided']),
  route: z.looseObject({ route: z.enum(['auto', 'review', 'escalate']) }),
  createdAt: z.string(),
});

export const itemRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v1/workflows/{name}/items',
    tag: 'items',
    summary: 'Submit an item',
    description:
      'Scores the item, routes it and either decides it at once (route auto) or queues it for people. With an Idempotency-Key, a repeat returns the first result (200) instead of creating another item (201); the same key with a different body is refused with 422.',
    params: z.object({ name: z.string().min(1).max(63) }),
    body: submitBody,
    headers: { 'Idempotency-Key': { description: 'Makes retries safe: one item per key and workflow' } },
    responses: { 201: { description: 'Created', schema: submitted }, 200: { description: 'A repeat of an earlier submit', schema: submitted } },
    async handle({ engine, principal, params, body, request }) {
      const header = request.headers['idempotency-key'];
      const fromHeader = Array.isArray(header) ? header[0] : header;
      if (fromHeader !== undefined && (fromHeader.length === 0 || fromHeader.length > 200)) {
        throw invalid('the Idempotency-Key header must be 1 to 200 characters', [{ path: 'headers.idempotency-key', message: 'must be 1 to 200 characters' }]);
      }
      if (fromHeader !== undefined && body.idempotencyKey !== undefined && fromHeader !== body.idempotencyKey) {
        throw invalid('the Idempotency-Key header and body.idempotencyKey differ', [{ path: 'idempotencyKey', message: 'must match the header' }]);
      }
      const r = await submitItem(engine, principal, {
        workflow: params.name, text: body.text, fields: body.fields, metadata: body.metadata, idempotencyKey: fromHeader ?? body.idempotencyKey ?? null,
      });
      return {
        status: r.created ? 201 : 200,
        headers: { location: `/v1/items/${r.itemId}` },
        body: { id: r.itemId, workflow: params.name, status: r.status, route: r.route, createdAt: r.createdAt.toISOString() },
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/items/{id}',
    tag: 'items',
    summary: 'Get an item with its history',
    description:
      'Input, prediction, route and reasons, tasks, answers, every decision version and every event, with actors and times. People (session tokens) get e-mail addresses, phone numbers and card numbers in the input masked (`input.masked` is true); a lead reveals them with POST /v1/items/{id}/reveal.',
    params: idParam,
    responses: { 200: { description: 'The item and its audit trail' } },
    async handle({ engine, principal, params }) {
      const h = await itemHistory(engine, principal, params.id);
      const view = itemView(h);
      return { status: 200, body: { ...view, input: inputFor(principal, h.item) } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/items',
    tag: 'items',
    summary: 'Search items',
    description:
      'Newest first, in the workflows the caller may see: by id or words in the text (`q`), workflow, status and route; `before` (an ISO time, the last result\'s createdAt) gives the next page. Text is cut to 300 characters and masked for people.',
    query: z
      .object({
        q: z.string().min(1).max(200).optional().describe('An item id, or words the text contains (case-insensitive)'),
        workflow: z.string().min(1).max(63).optional(),
        status: z.enum(['pending', 'decided']).optional(),
        route: z.enum(['auto', 'review', 'escalate']).optional(),
        before: z.iso.datetime({ offset: true }).optional().describe('Only items created before this time'),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      })
      .strict(),
    responses: { 200: { description: 'Matching items' } },
    async handle({ engine, principal, query }) {
      const hits = await searchItems(engine.db, {
        workflows: visibleWorkflows(principal), workflow: query.workflow ?? null, q: query.q ?? null, status: query.status ?? null,
        route: query.route ?? null, before: query.before ? new Date(query.before) : null, limit: query.limit,
      });
      const people = principal.kind === 'person';
      const blind = new Set<string>();
      if (people && !isLead(principal)) {
        for (const name of new Set(hits.map((h) => h.workflow))) if ((await engine.workflows.get(engine.db, name)).spec.blindMode) blind.add(name);
      }
      const hidden = (h: (typeof hits)[number]) => blind.has(h.workflow) && hideMachineDecision(h);
      return {
        status: 200,
        body: {
          items: hits.map((h) => ({
            id: h.id, workflow: h.workflow, text: h.text !== null && people ? maskPii(h.text) : h.text, status: h.status, route: h.route,
            decision: hidden(h) ? null : h.decision, decisionSource: hidden(h) ? null : h.decision_source, createdAt: h.created_at.toISOString(),
          })),
        },
      };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/items/{id}/reveal',
    tag: 'items',
    summary: 'Reveal an item\'s personal data',
    description: 'Leads and admins. The item\'s input as submitted, unmasked. Every reveal writes an `item.revealed` event (actor, reason) to the item\'s audit trail.',
    params: idParam,
    body: z.object({ reason: z.string().min(1).max(500).default('revealed in the web app') }).strict(),
    responses: { 200: { description: 'The unmasked input' } },
    async handle({ engine, principal, params, body }) {
      return { status: 200, body: await revealItem(engine, principal, params.id, body.reason) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/items/{id}/decision',
    tag: 'items',
    summary: 'Get or wait for an item decision',
    description: 'The current decision. With wait=N (seconds, at most 60) the request is held until the item is decided or N seconds pass; status says which.',
    params: idParam,
    query: z.object({ wait: z.coerce.number().min(0).max(60).default(0).describe('Seconds to wait for a decision (long poll), 0 to 60') }).strict(),
    responses: {
      200: {
        description: 'status "decided" with the decision, or "pending" if none came within the wait',
        schema: z.object({ itemId: z.string(), status: z.enum(['pending', 'decided']), decision: z.looseObject({}).nullable() }),
      },
    },
    async handle({ engine, principal, params, query, signal }) {
      const { item, decision: made } = await awaitDecision(engine, principal, params.id, query.wait * 1000, signal);
      // In blind mode the machine's decision on an item still under audit is its suggestion.
      const decision = made?.source === 'machine' && !isLead(principal) && (await itemHistory(engine, principal, item.id)).suggestionHidden ? null : made;
      return { status: 200, body: { itemId: item.id, status: made ? 'decided' : 'pending', decision: decision ? decisionView(decision) : null } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/items/{id}/decisions',
    tag: 'items',
    summary: 'Correct a decision',
    description: 'Leads and admins. Appends a new decision version that supersedes the current one (decisions are never changed); the item\'s open tasks are cancelled.',
    params: idParam,
    body: outcomeBody.extend({ reason: z.string().min(1).max(2000) }).strict(),
    responses: { 201: { description: 'The new decision version' } },
    async handle({ engine, principal, params, body }) {
      const item = await readItem(engine, principal, params.id);
      const wf = await engine.workflows.get(engine.db, item.workflow);
      const outcome = parseOutcome(wf, body);
      const decision = await correctDecision(engine.db, wf, principal, item.id, outcome, body.reason);
      return { status: 201, body: decisionView(decision) };
    },
  }),
];
