// The engine: what every use case needs, made once per process.
import type { Db } from '../store/db.ts';
import { createWorkflowCache, type WorkflowCache } from './workflows.ts';
import { createAuthenticator, type Authenticator } from './access.ts';
import { createDecisionWaiters, type DecisionWaiters } from './waiters.ts';
import { createModelRegistry, type ModelRegistry } from './models.ts';
import { createTuningCache, type TuningCache } from './tuning.ts';
import { createSurgeCache, type SurgeCache } from './surge.ts';

export interface EngineOptions {
  /** Lease length when a claim does not ask for one. */
  leaseSeconds?: number;
  adminKey?: string | undefined;
  workflowCacheMs?: number;
}

export interface Engine {
  db: Db;
  workflows: WorkflowCache;
  auth: Authenticator;
  waiters: DecisionWaiters;
  models: ModelRegistry;
  tunings: TuningCache;
  /** Each workflow's surge state, read by routing (core/surge.ts). */
  surges: SurgeCache;
  leaseSeconds: number;
  close(): Promise<void>;
}

export async function createEngine(db: Db, options: EngineOptions = {}): Promise<Engine> {
  const waiters = await createDecisionWaiters(db);
  return {
    db,
    workflows: createWorkflowCache(options.workflowCacheMs ?? 1000),
    auth: createAuthenticator({ adminKey: options.adminKey }),
    waiters,
    models: createModelRegistry(),
    tunings: createTuningCache(),
    surges: createSurgeCache(),
    leaseSeconds: options.leaseSeconds ?? 300,
    close: () => waiters.close(),
  };
}
