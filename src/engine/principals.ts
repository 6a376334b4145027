// Who is asking: a service holding an API key, or a person signed in with a session. Every
// access check in the engine is one of the small functions below.
import type { ApiKeyRow } from '../store/apiKeys.ts';
import type { ReviewerRow } from '../store/people.ts';
import { forbidden } from './errors.ts';

export type Principal =
  | { kind: 'key'; id: string; name: string; role: ApiKeyRow['role']; workflows: string[] | null }
  | { kind: 'person'; reviewer: ReviewerRow };

export function actorName(p: Principal): string {
  return p.kind === 'key' ? `key:${p.name}` : `reviewer:${p.reviewer.email}`;
}

export function isAdmin(p: Principal): boolean {
  return p.kind === 'key' ? p.role === 'admin' : p.reviewer.role === 'admin';
}

export function isLead(p: Principal): boolean {
  return isAdmin(p) || (p.kind === 'person' && p.reviewer.role === 'lead');
}

/** The workflows the principal may see; null means all of them. */
export function visibleWorkflows(p: Principal): string[] | null {
  if (isAdmin(p)) return null;
  return p.kind === 'key' ? p.workflows : p.reviewer.workflows;
}

export function mayAccess(p: Principal, workflow: string): boolean {
  const visible = visibleWorkflows(p);
  return visible === null || visible.includes(workflow);
}

export function requireAdmin(p: Principal): void {
  if (!isAdmin(p)) throw forbidden('this needs an admin');
}

export function requireLead(p: Principal, workflow: string): void {
  if (!isLead(p) || !mayAccess(p, workflow)) throw forbidden(`this needs a lead of workflow "${workflow}"`);
}

export function requirePerson(p: Principal): ReviewerRow {
  if (p.kind !== 'person') throw forbidden('tasks are worked by people: sign in with POST /v1/sessions and use that token');
  return p.reviewer;
}
