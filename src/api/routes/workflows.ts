import { z } from 'zod';
import { workflowSpec } from '../../core/workflow.ts';
import { invalid } from '../../engine/errors.ts';
import { requireAdmin, visibleWorkflows } from '../../engine/principals.ts';
import { createWorkflow, updateWorkflow, visibleWorkflow } from '../../engine/workflows.ts';
import { tuneWorkflow } from '../../engine/tuning.ts';
import { listWorkflows } from '../../store/workflows.ts';
import { defineRoute } from '../route.ts';
import { workflowView } from '../views.ts';
import { goldRoutes } from './gold.ts';
import { qualityRoutes } from './quality.ts';

const nameParam = z.object({ name: z.string().min(1).max(63).describe('Workflow name') });
const workflowOut = z.looseObject({ name: z.string(), version: z.number().int(), answerType: z.string() });

export const workflowRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v1/workflows',
    tag: 'workflows',
    summary: 'Create a workflow',
    description: 'Admins only. The body is the workflow spec; omitted settings take their defaults.',
    body: workflowSpec,
    responses: { 201: { description: 'Created', schema: workflowOut }, 409: { description: 'A workflow with this name exists' } },
    async handle({ engine, principal, body }) {
      requireAdmin(principal);
      const wf = await createWorkflow(engine.db, engine.workflows, body);
      if (wf.spec.targetAccuracy !== undefined) await tuneWorkflow(engine, wf.spec.name, 'workflow created');
      return { status: 201, body: workflowView(wf), headers: { location: `/v1/workflows/${wf.spec.name}` } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/workflows',
    tag: 'workflows',
    summary: 'List workflows',
    description: 'The workflows the caller may see.',
    responses: { 200: { description: 'The workflows', schema: z.object({ workflows: z.array(workflowOut) }) } },
    async handle({ engine, principal }) {
      const visible = visibleWorkflows(principal);
      const rows = (await listWorkflows(engine.db)).filter((r) => visible === null || visible.includes(r.name));
      const wfs = await Promise.all(rows.map((r) => engine.workflows.get(engine.db, r.name)));
      return { status: 200, body: { workflows: wfs.map(workflowView) } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/workflows/{name}',
    tag: 'workflows',
    summary: 'Get a workflow',
    params: nameParam,
    responses: { 200: { description: 'The workflow', schema: workflowOut } },
    async handle({ engine, principal, params }) {
      return { status: 200, body: workflowView(await visibleWorkflow(engine.db, engine.workflows, principal, params.name)) };
    },
  }),
  defineRoute({
    method: 'PUT',
    path: '/v1/workflows/{name}',
    tag: 'workflows',
    summary: 'Change a workflow',
    description: 'Admins only. Replaces the spec and bumps the version; items already routed keep their route.',
    params: nameParam,
    body: workflowSpec,
    responses: { 200: { description: 'Changed', schema: workflowOut } },
    async handle({ engine, principal, params, body }) {
      requireAdmin(principal);
      if (body.name !== params.name) throw invalid('the body names another workflow than the path', [{ path: 'name', message: `must be "${params.name}"` }]);
      const wf = await updateWorkflow(engine.db, engine.workflows, body);
      if (wf.spec.targetAccuracy !== undefined) await tuneWorkflow(engine, wf.spec.name, 'workflow changed');
      return { status: 200, body: workflowView(wf) };
    },
  }),
  // Gold, training and the quality statistics belong to a workflow.
  ...goldRoutes,
  ...qualityRoutes,
];
