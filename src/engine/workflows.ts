// Workflows as the engine uses them: the stored spec, compiled once per version (rules parsed,
// input schema compiled) and cached briefly (engine/freshCache.ts), so a submit costs no extra
// query in the common case while a change made by another process is seen within `cacheMs`.
import { Ajv2020, type ValidateFunction, type ErrorObject } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { compileSurge, type CompiledSurge } from '../core/surge.ts';
import { compileRules, outcomeLabels, workflowSpec, type CompiledRule, type WorkflowSpec } from '../core/workflow.ts';
import type { Queryable } from '../store/db.ts';
import * as store from '../store/workflows.ts';
import { createFreshCache } from './freshCache.ts';
import { conflict, invalid, notFound, type FieldProblem } from './errors.ts';
import { mayAccess, requireLead, type Principal } from './principals.ts';

export interface CompiledWorkflow {
  spec: WorkflowSpec;
  version: number;
  rules: CompiledRule[];
  /** The surge policy with its conditions parsed; null when the workflow has none. */
  surge: CompiledSurge | null;
  /** The outcomes a prediction or an answer may name. */
  labels: string[];
  /** Problems with the item's fields against the input schema; empty when they fit. */
  checkFields(fields: Record<string, unknown>): FieldProblem[];
  createdAt: Date;
  updatedAt: Date;
}

const ajv = new Ajv2020({ allErrors: true, strict: false });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);

export function compileWorkflow(spec: WorkflowSpec, version: number, createdAt = new Date(), updatedAt = createdAt): CompiledWorkflow {
  let validate: ValidateFunction | null = null;
  if (spec.inputSchema) {
    try {
      validate = ajv.compile(spec.inputSchema);
    } catch (err) {
      throw invalid('inputSchema is not a valid JSON Schema', [
        { path: 'inputSchema', message: err instanceof Error ? err.message : String(err) },
      ]);
    }
  }
  return {
    spec,
    version,
    rules: compileRules(spec.policy),
    surge: compileSurge(spec.surge),
    labels: outcomeLabels(spec),
    checkFields: (fields) => (validate && !validate(fields) ? (validate.errors ?? []).map(fieldProblem) : []),
    createdAt,
    updatedAt,
  };
}

function fieldProblem(e: ErrorObject): FieldProblem {
  const base = e.instancePath.split('/').filter(Boolean).join('.');
  const missing = e.keyword === 'required' ? String((e.params as { missingProperty?: string }).missingProperty ?? '') : '';
  const path = ['fields', base, missing].filter(Boolean).join('.');
  return { path, message: missing ? 'is required' : (e.message ?? 'is invalid') };
}

export interface WorkflowCache {
  get(db: Queryable, name: string): Promise<CompiledWorkflow>;
  forget(name: string): void;
}

export function createWorkflowCache(cacheMs = 1000): WorkflowCache {
  const cache = createFreshCache<CompiledWorkflow>(cacheMs);
  return {
    get: (db, name) =>
      // A renewal that finds the version it kept does not compile the rules and input schema again.
      cache.get(name, async (kept) => {
        const row = await store.getWorkflow(db, name);
        if (!row) throw notFound(`no workflow named "${name}"`);
        return kept && kept.version === row.version ? kept : compileWorkflow(workflowSpec.parse(row.spec), row.version, row.created_at, row.updated_at);
      }),
    forget(name) {
      cache.forget(name);
    },
  };
}

export async function createWorkflow(db: Queryable, cache: WorkflowCache, spec: WorkflowSpec): Promise<CompiledWorkflow> {
  compileWorkflow(spec, 1);
  const row = await store.insertWorkflow(db, spec.name, spec);
  if (!row) throw conflict(`a workflow named "${spec.name}" exists already; PUT /v1/workflows/${spec.name} changes it`);
  cache.forget(spec.name);
  return cache.get(db, spec.name);
}

export async function updateWorkflow(db: Queryable, cache: WorkflowCache, spec: WorkflowSpec): Promise<CompiledWorkflow> {
  compileWorkflow(spec, 1);
  const row = await store.updateWorkflow(db, spec.name, spec);
  if (!row) throw notFound(`no workflow named "${spec.name}"`);
  cache.forget(spec.name);
  return cache.get(db, spec.name);
}

/** Creates the workflow, or changes it when its spec differs (workflow files at start-up). */
export async function upsertWorkflow(db: Queryable, cache: WorkflowCache, spec: WorkflowSpec): Promise<'created' | 'updated' | 'unchanged'> {
  const existing = await store.getWorkflow(db, spec.name);
  if (!existing) {
    await createWorkflow(db, cache, spec);
    return 'created';
  }
  if (JSON.stringify(workflowSpec.parse(existing.spec)) === JSON.stringify(spec)) return 'unchanged';
  await updateWorkflow(db, cache, spec);
  return 'updated';
}

/** The workflow as the caller may see it: one they may not see does not exist for them. */
export async function visibleWorkflow(db: Queryable, cache: WorkflowCache, principal: Principal, name: string): Promise<CompiledWorkflow> {
  if (!mayAccess(principal, name)) throw notFound(`no workflow named "${name}"`);
  return cache.get(db, name);
}

/** A workflow the caller leads: 404 when they may not see it, 403 when they see it but do not lead it. */
export async function ledWorkflow(db: Queryable, cache: WorkflowCache, principal: Principal, name: string): Promise<CompiledWorkflow> {
  const wf = await visibleWorkflow(db, cache, principal, name);
  requireLead(principal, wf.spec.name);
  return wf;
}
