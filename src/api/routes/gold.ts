// Gold items: leads mark live items or import made-for-purpose ones, with the right answer and
// the guideline note that training shows after each answer.
import { z } from 'zod';
import { importGold, listGold, markGold, retireGold } from '../../engine/gold.ts';
import { visibleWorkflow } from '../../engine/workflows.ts';
import type { GoldItemRow } from '../../store/gold.ts';
import { defineRoute } from '../route.ts';

const nameParam = z.object({ name: z.string().min(1).max(63).describe('Workflow name') });
const answer = {
  label: z.string().min(1).max(100).optional().describe('For label workflows: the right label'),
  verdict: z.enum(['approve', 'reject', 'edit']).optional().describe('For approve workflows: the right verdict (approve or reject)'),
  note: z.string().max(5000).optional().describe('The guideline note shown with the right answer in training'),
};

function goldView(g: GoldItemRow) {
  return {
    itemId: g.item_id, workflow: g.workflow, answer: g.outcome, note: g.note, source: g.source, text: g.text,
    createdBy: g.created_by, createdAt: g.created_at.toISOString(), retiredAt: g.retired_at?.toISOString() ?? null,
  };
}
const goldOut = z.looseObject({ itemId: z.string(), answer: z.unknown(), note: z.string(), source: z.enum(['marked', 'imported']) });

export const goldRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v1/workflows/{name}/gold',
    tag: 'quality',
    summary: 'Mark an item as gold',
    description:
      'Leads only. The item (of this workflow) becomes gold with this right answer; marking it again replaces the answer. An answer outside the workflow\'s labels is a 400 naming the field; free-text workflows have no gold.',
    params: nameParam,
    body: z.object({ itemId: z.uuid('must be an item id (a UUID)'), ...answer }).strict(),
    responses: { 201: { description: 'The gold item', schema: goldOut } },
    async handle({ engine, principal, params, body }) {
      const wf = await visibleWorkflow(engine.db, engine.workflows, principal, params.name);
      const { itemId, ...input } = body;
      return { status: 201, body: goldView(await markGold(engine, principal, wf, itemId, input)) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/workflows/{name}/gold/import',
    tag: 'quality',
    summary: 'Import gold items',
    description:
      'Leads only. Each entry (text and/or fields, metadata, the right answer, a note) becomes an item made to be gold: never live work and left out of the workflow\'s counts. All or nothing: any bad entry refuses the lot, naming it (`items.3.label`).',
    params: nameParam,
    body: z
      .object({
        items: z
          .array(
            z
              .object({
                text: z.string().max(100_000).nullable().optional(),
                fields: z.record(z.string(), z.unknown()).optional(),
                metadata: z.record(z.string(), z.unknown()).optional(),
                ...answer,
              })
              .strict(),
          )
          .min(1)
          .max(500),
      })
      .strict(),
    responses: { 201: { description: 'The imported gold items', schema: z.object({ imported: z.number().int(), items: z.array(goldOut) }) } },
    async handle({ engine, principal, params, body }) {
      const wf = await visibleWorkflow(engine.db, engine.workflows, principal, params.name);
      const rows = await importGold(engine, principal, wf, body.items);
      return { status: 201, body: { imported: rows.length, items: rows.map(goldView) } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/workflows/{name}/gold',
    tag: 'quality',
    summary: 'List gold items',
    description: 'Leads only. Active gold items, oldest first; `retired=true` lists retired ones too.',
    params: nameParam,
    query: z.object({ retired: z.enum(['true', 'false']).optional() }).strict(),
    responses: { 200: { description: 'The gold items', schema: z.object({ items: z.array(goldOut) }) } },
    async handle({ engine, principal, params, query }) {
      const wf = await visibleWorkflow(engine.db, engine.workflows, principal, params.name);
      return { status: 200, body: { items: (await listGold(engine, principal, wf, query.retired === 'true')).map(goldView) } };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/workflows/{name}/gold/{itemId}',
    tag: 'quality',
    summary: 'Retire a gold item',
    description: 'Leads only. The item is no longer served as gold; the scores it gave stay.',
    params: nameParam.extend({ itemId: z.uuid('must be an item id (a UUID)') }),
    responses: { 204: { description: 'Retired' } },
    async handle({ engine, principal, params }) {
      const wf = await visibleWorkflow(engine.db, engine.workflows, principal, params.name);
      await retireGold(engine, principal, wf, params.itemId);
      return { status: 204 };
    },
  }),
];
