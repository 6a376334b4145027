import { z } from 'zod';
import { addReviewer, createApiKey, signIn, signOut } from '../../engine/access.ts';
import { notFound, invalid } from '../../engine/errors.ts';
import { requireAdmin, requirePerson } from '../../engine/principals.ts';
import { listApiKeys, revokeApiKey } from '../../store/apiKeys.ts';
import { listReviewers } from '../../store/people.ts';
import { missingWorkflows } from '../../store/workflows.ts';
import type { Queryable } from '../../store/db.ts';
import { defineRoute } from '../route.ts';
import { reviewerView } from '../views.ts';

const workflowNames = z.array(z.string().min(1).max(63)).max(1000);

async function checkWorkflowsExist(db: Queryable, names: readonly string[], path: string): Promise<void> {
  const [missing] = await missingWorkflows(db, names);
  if (missing !== undefined) throw invalid(`no workflow named "${missing}"`, [{ path: `${path}.${names.indexOf(missing)}`, message: 'is not a workflow' }]);
}

export const peopleRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v1/sessions',
    tag: 'people',
    auth: 'public',
    summary: 'Sign in',
    description: 'Exchanges email and password for a session token to send as "Authorization: Bearer <token>".',
    body: z.object({ email: z.string().min(1).max(320), password: z.string().min(1).max(1000) }).strict(),
    responses: { 201: { description: 'Signed in', schema: z.object({ token: z.string(), expiresAt: z.string(), reviewer: z.looseObject({}) }) } },
    async handle({ engine, body }) {
      const s = await signIn(engine.db, body.email, body.password);
      return { status: 201, body: { token: s.token, expiresAt: s.expiresAt.toISOString(), reviewer: reviewerView(s.reviewer) } };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/sessions/current',
    tag: 'people',
    summary: 'Sign out',
    responses: { 204: { description: 'Signed out' } },
    async handle({ engine, principal, token }) {
      requirePerson(principal);
      await signOut(engine.db, token);
      engine.auth.forget(token);
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/me',
    tag: 'people',
    summary: 'Who am I',
    responses: { 200: { description: 'The signed-in person, or the API key' } },
    async handle({ principal }) {
      return {
        status: 200,
        body: principal.kind === 'person'
          ? { kind: 'person', reviewer: reviewerView(principal.reviewer) }
          : { kind: 'key', name: principal.name, role: principal.role, workflows: principal.workflows },
      };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/reviewers',
    tag: 'people',
    summary: 'Add a reviewer',
    description: 'Admins only. Without a password, one is generated and returned once.',
    body: z
      .object({
        email: z.string().min(1).max(320),
        name: z.string().min(1).max(200).optional(),
        role: z.enum(['reviewer', 'lead', 'admin']).default('reviewer'),
        skills: z.array(z.string().min(1).max(50)).max(50).default([]),
        workflows: workflowNames.default([]),
        password: z.string().min(8).max(1000).optional(),
      })
      .strict(),
    responses: { 201: { description: 'The reviewer and the password (shown once)' } },
    async handle({ engine, principal, body }) {
      requireAdmin(principal);
      await checkWorkflowsExist(engine.db, body.workflows, 'workflows');
      const r = await addReviewer(engine.db, body);
      return { status: 201, body: { reviewer: reviewerView(r.reviewer), password: r.password } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/reviewers',
    tag: 'people',
    summary: 'List reviewers',
    description: 'Admins only.',
    responses: { 200: { description: 'The reviewers' } },
    async handle({ engine, principal }) {
      requireAdmin(principal);
      return { status: 200, body: { reviewers: (await listReviewers(engine.db)).map(reviewerView) } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/keys',
    tag: 'people',
    summary: 'Create an API key',
    description: 'Admins only. The key is returned once; only its hash is stored. workflows: null (or omitted) means every workflow.',
    body: z
      .object({ name: z.string().min(1).max(200), role: z.enum(['service', 'admin']).default('service'), workflows: workflowNames.nullable().default(null) })
      .strict(),
    responses: { 201: { description: 'The key (shown once) and its record' } },
    async handle({ engine, principal, body }) {
      requireAdmin(principal);
      if (body.workflows) await checkWorkflowsExist(engine.db, body.workflows, 'workflows');
      const { key, token } = await createApiKey(engine.db, body);
      return { status: 201, body: { key: token, id: key.id, name: key.name, prefix: key.prefix, role: key.role, workflows: key.workflows } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/keys',
    tag: 'people',
    summary: 'List API keys',
    description: 'Admins only. Shows prefixes, never keys.',
    responses: { 200: { description: 'The keys' } },
    async handle({ engine, principal }) {
      requireAdmin(principal);
      const keys = await listApiKeys(engine.db);
      return { status: 200, body: { keys: keys.map((k) => ({ id: k.id, name: k.name, prefix: k.prefix, role: k.role, workflows: k.workflows, createdAt: k.created_at.toISOString() })) } };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/keys/{id}',
    tag: 'people',
    summary: 'Revoke an API key',
    params: z.object({ id: z.uuid() }),
    responses: { 204: { description: 'Revoked' } },
    async handle({ engine, principal, params }) {
      requireAdmin(principal);
      if (!(await revokeApiKey(engine.db, params.id))) throw notFound(`no active key ${params.id}`);
      return { status: 204 };
    },
  }),
];
